"""The one table of ONNX translations: op name -> translation, merged from the family
files (``ops_*.py``), and the layers exported whole (``modules.py``)."""

from minigrad.onnx import ops_nn, ops_pointwise, ops_recurrent, ops_reduce, ops_shape
from minigrad.onnx.modules import MODULE_TABLE, whole_translation

FAMILIES = (ops_pointwise, ops_shape, ops_reduce, ops_nn, ops_recurrent)


def _merged(families):
    table = {}
    for family in families:
        shared = set(table) & set(family.TABLE)
        if shared:
            raise ValueError(f"ONNX translations defined twice: {sorted(shared)}")
        table.update(family.TABLE)
    return table


TRANSLATIONS = _merged(FAMILIES)

__all__ = ["MODULE_TABLE", "TRANSLATIONS", "whole_translation"]
