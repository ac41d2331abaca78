"""Started by ``python -m minigrad.distributed.run -n 2``: prints what each process sees."""

import os
import sys

import minigrad.distributed as dist

dist.init_process_group()
print(f"rank {dist.get_rank()} of {dist.get_world_size()} args {sys.argv[1:]} "
      f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}", flush=True)
dist.destroy_process_group()
