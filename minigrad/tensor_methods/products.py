"""Products and fused arithmetic: ``mm``, ``bmm``, ``dot``, ``addmm``, ``lerp``..."""

import minigrad


class ProductMethods:
    """The methods of this area; a mixin with no state."""

    __slots__ = ()

    def mm(self, mat2):
        return minigrad.ops.mm(self, mat2)

    def bmm(self, mat2):
        return minigrad.ops.bmm(self, mat2)

    def mv(self, vec):
        return minigrad.ops.mv(self, vec)

    def dot(self, tensor):
        return minigrad.ops.dot(self, tensor)

    def outer(self, vec2):
        return minigrad.ops.outer(self, vec2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return minigrad.ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return minigrad.ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def lerp(self, end, weight):
        return minigrad.ops.lerp(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return minigrad.ops.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return minigrad.ops.addcdiv(self, tensor1, tensor2, value=value)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return minigrad.ops.nan_to_num(self, nan, posinf, neginf)
