"""Hook handles, as ``torch.utils.hooks``: what ``register_*_hook`` of modules, optimizers
and schedulers return."""

import itertools

_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_*_hook``; ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = next(_ids)

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
