"""``nn.Module``'s API against ``torch.nn.Module``, side by side: the same model built and
the same calls made in both frameworks give the same names, keys, orders, reprs, messages
and error types (attribute rules, registration, traversal, lookup by dotted name, apply,
modes, state dicts with prefixes and strictness, dtype conversion)."""

import warnings
from collections import OrderedDict

import numpy as np
import pytest
from nn_helpers import names

import minigrad as mg

torch = pytest.importorskip("torch")

FRAMEWORKS = {"minigrad": (mg, mg.nn), "torch": (torch, torch.nn)}


def build(lib, nn):
    """A model with every kind of member: own parameters, buffers (persistent, not, None),
    a shared child, a None child, nested containers."""

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 4)
            self.bn = nn.BatchNorm1d(4)
            self.scale = nn.Parameter(lib.ones(4))
            self.register_buffer("step", lib.zeros(()))
            self.register_buffer("cache", lib.zeros(2), persistent=False)
            self.register_buffer("empty", None)
            self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))
            self.again = self.fc  # one child under two names
            self.missing = None

        def forward(self, x):
            return self.head(self.bn(self.fc(x)) * self.scale)

    return Block()


def outcome(fn, lib, nn):
    try:
        return fn(lib, nn, build(lib, nn))
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error).__name__


def same(fn):
    """``fn(lib, nn, model)`` in both frameworks: equal results, or the same exception type."""
    ours, theirs = (outcome(fn, *FRAMEWORKS[name]) for name in ("minigrad", "torch"))
    assert ours == theirs
    return ours


def registries(model):
    return (list(model._parameters), list(model._buffers), list(model._modules),
            sorted(model._non_persistent_buffers_set), list(model.state_dict()))


# ----------------------------------------------------------------------------- attribute rules
ASSIGNMENTS = {
    "none_to_parameter": lambda lib, nn, m: setattr(m, "scale", None),
    "tensor_to_parameter": lambda lib, nn, m: setattr(m, "scale", lib.zeros(4)),
    "int_to_parameter": lambda lib, nn, m: setattr(m, "scale", 3),
    "none_to_module": lambda lib, nn, m: setattr(m, "head", None),
    "int_to_module": lambda lib, nn, m: setattr(m, "head", 3),
    "tensor_to_buffer": lambda lib, nn, m: setattr(m, "step", lib.ones(())),
    "none_to_buffer": lambda lib, nn, m: setattr(m, "step", None),
    "int_to_buffer": lambda lib, nn, m: setattr(m, "cache", 3),
    "tensor_to_non_persistent_buffer": lambda lib, nn, m: setattr(m, "cache", lib.ones(2)),
    "parameter_over_buffer": lambda lib, nn, m: setattr(m, "step", nn.Parameter(lib.ones(1))),
    "parameter_over_module": lambda lib, nn, m: setattr(m, "head", nn.Parameter(lib.ones(1))),
    "module_over_parameter": lambda lib, nn, m: setattr(m, "scale", nn.ReLU()),
    "module_over_buffer": lambda lib, nn, m: setattr(m, "cache", nn.ReLU()),
    "parameter_over_plain_attribute": lambda lib, nn, m: (
        setattr(m, "note", 1), setattr(m, "note", nn.Parameter(lib.ones(1)))),
    "parameter_over_method": lambda lib, nn, m: setattr(m, "forward", nn.Parameter(lib.ones(1))),
    "plain_tensor_attribute": lambda lib, nn, m: setattr(m, "plain", lib.ones(1)),
    "del_parameter": lambda lib, nn, m: delattr(m, "scale"),
    "del_non_persistent_buffer": lambda lib, nn, m: (
        delattr(m, "cache"), m.register_buffer("cache", lib.ones(1))),
    "del_module": lambda lib, nn, m: delattr(m, "head"),
    "del_unknown": lambda lib, nn, m: delattr(m, "nothing"),
}


@pytest.mark.parametrize("case", list(ASSIGNMENTS))
def test_setattr_and_delattr_follow_torchs_rules(case):
    def run(lib, nn, model):
        ASSIGNMENTS[case](lib, nn, model)
        return registries(model), names(model.named_parameters()), names(model.named_buffers())
    same(run)


def test_none_keeps_a_parameter_name_registered():
    model = build(mg, mg.nn)
    model.scale = None
    assert "scale" in model._parameters and model.scale is None
    assert "scale" not in names(model.named_parameters())
    with pytest.raises(TypeError, match="scale"):
        model.scale = mg.zeros(4)
    model.scale = mg.nn.Parameter(mg.zeros(4))  # a Parameter may come back
    assert list(model._parameters) == ["scale"]


REGISTRATIONS = {
    "parameter_name_not_str": lambda lib, nn, m: m.register_parameter(3, None),
    "parameter_name_dotted": lambda lib, nn, m: m.register_parameter("a.b", None),
    "parameter_name_empty": lambda lib, nn, m: m.register_parameter("", None),
    "parameter_name_taken": lambda lib, nn, m: m.register_parameter("fc", None),
    "parameter_plain_tensor": lambda lib, nn, m: m.register_parameter("w", lib.ones(1)),
    "parameter_ok": lambda lib, nn, m: m.register_parameter("w", nn.Parameter(lib.ones(1))),
    "buffer_name_taken": lambda lib, nn, m: m.register_buffer("scale", lib.ones(1)),
    "buffer_name_dotted": lambda lib, nn, m: m.register_buffer("a.b", lib.ones(1)),
    "buffer_not_tensor": lambda lib, nn, m: m.register_buffer("b", [1.0]),
    "buffer_again_persistent": lambda lib, nn, m: m.register_buffer("cache", lib.ones(2)),
    "module_not_module": lambda lib, nn, m: m.add_module("x", 3),
    "module_name_taken": lambda lib, nn, m: m.add_module("step", nn.ReLU()),
    "module_name_dotted": lambda lib, nn, m: m.add_module("a.b", nn.ReLU()),
    "module_none": lambda lib, nn, m: m.register_module("later", None),
    "module_ok": lambda lib, nn, m: m.register_module("extra", nn.Tanh()),
}


@pytest.mark.parametrize("case", list(REGISTRATIONS))
def test_registration_checks_match_torch(case):
    def run(lib, nn, model):
        REGISTRATIONS[case](lib, nn, model)
        return registries(model), repr(model)
    same(run)


@pytest.mark.parametrize("value", ["parameter", "module", "buffer"])
def test_registering_before_init_raises_attribute_error(value):
    def run(lib, nn, model):
        class Early(nn.Module):
            def __init__(self):
                self.plain = 1  # plain attributes are fine before __init__
                if value == "parameter":
                    self.w = nn.Parameter(lib.ones(1))
                elif value == "module":
                    self.m = nn.ReLU()
                else:
                    self.register_buffer("b", lib.ones(1))
        Early()
    assert same(run) == "AttributeError"


def test_dir_lists_members():
    def run(lib, nn, model):
        listed = dir(model)
        return [n in listed for n in ("fc", "scale", "step", "cache", "forward", "training")]
    assert same(run) == [True] * 6


# ----------------------------------------------------------------------------- traversal
TRAVERSALS = {
    "named_modules": lambda m: names(m.named_modules()),
    "named_modules_prefix": lambda m: names(m.named_modules(prefix="net")),
    "named_modules_all": lambda m: names(m.named_modules(remove_duplicate=False)),
    "named_modules_memo": lambda m: names(m.named_modules(memo={m.head})),
    "modules_all": lambda m: len(list(m.modules(remove_duplicate=False))),
    "named_children": lambda m: names(m.named_children()),
    "named_parameters": lambda m: names(m.named_parameters()),
    "named_parameters_prefix": lambda m: names(m.named_parameters(prefix="model")),
    "named_parameters_local": lambda m: names(m.named_parameters(recurse=False)),
    "named_parameters_all": lambda m: names(m.named_parameters(remove_duplicate=False)),
    "parameters_local": lambda m: len(list(m.parameters(recurse=False))),
    "named_buffers": lambda m: names(m.named_buffers()),
    "named_buffers_local": lambda m: names(m.named_buffers(prefix="p", recurse=False)),
    "named_buffers_all": lambda m: names(m.named_buffers(remove_duplicate=False)),
    "buffers_local": lambda m: len(list(m.buffers(recurse=False))),
}


@pytest.mark.parametrize("case", list(TRAVERSALS))
def test_traversal_matches_torch(case):
    same(lambda lib, nn, model: TRAVERSALS[case](model))


def test_apply_visits_children_first_and_returns_self():
    def run(lib, nn, model):
        seen = []
        returned = model.apply(lambda m: seen.append(type(m).__name__))
        return seen, returned is model
    assert same(run)[0][-1] == "Block"


def test_apply_initializes_weights():
    model = build(mg, mg.nn)

    def init(module):
        if isinstance(module, mg.nn.Linear):
            mg.nn.init.constant_(module.weight, 0.5)
    model.apply(init)
    assert np.all(model.head[1].weight.numpy() == 0.5) and np.all(model.fc.weight.numpy() == 0.5)


# ----------------------------------------------------------------------------- dotted lookup
LOOKUPS = {
    "submodule": lambda m: repr(m.get_submodule("head.1")),
    "submodule_self": lambda m: m.get_submodule("") is m,
    "submodule_missing": lambda m: m.get_submodule("head.7"),
    "submodule_not_module": lambda m: m.get_submodule("scale"),
    "parameter": lambda m: tuple(m.get_parameter("head.1.weight").shape),
    "parameter_own": lambda m: tuple(m.get_parameter("scale").shape),
    "parameter_is_buffer": lambda m: m.get_parameter("bn.running_mean"),
    "parameter_missing": lambda m: m.get_parameter("fc.nope"),
    "buffer": lambda m: tuple(m.get_buffer("bn.running_var").shape),
    "buffer_non_persistent": lambda m: tuple(m.get_buffer("cache").shape),
    "buffer_is_parameter": lambda m: m.get_buffer("fc.weight"),
    "buffer_bad_path": lambda m: m.get_buffer("nope.x"),
}


@pytest.mark.parametrize("case", list(LOOKUPS))
def test_lookup_by_dotted_name_matches_torch(case):
    same(lambda lib, nn, model: LOOKUPS[case](model))


def test_lookup_error_messages_match_torch():
    def run(lib, nn, model):
        messages = []
        for path in ("head.7", "scale.x"):
            try:
                model.get_submodule(path)
            except AttributeError as error:
                messages.append(str(error))
        return messages
    assert same(run) == ["Sequential has no attribute `7`", "`scale` is not an nn.Module"]


@pytest.mark.parametrize("target, strict", [("head.0", False), ("head.5", False),
                                            ("head.5", True), ("scale", False), ("", False)])
def test_set_submodule_matches_torch(target, strict):
    def run(lib, nn, model):
        model.set_submodule(target, nn.Tanh(), strict=strict)
        return repr(model)
    same(run)


# ----------------------------------------------------------------------------- modes and grads
def test_train_calls_each_childs_train_and_checks_its_argument():
    def run(lib, nn, model):
        calls = []

        class Recorder(nn.Module):
            def train(self, mode=True):
                calls.append(mode)
                return super().train(mode)
        model.head.add_module("rec", Recorder())
        model.eval()
        model.train()
        flags = [m.training for m in model.modules()]
        return calls, flags, outcome(lambda *_: model.train(1), lib, nn)
    assert same(run)[2] == "ValueError"


def test_requires_grad_freezes_and_returns_self():
    def run(lib, nn, model):
        returned = model.head.requires_grad_(False)
        return returned is model.head, [p.requires_grad for p in model.parameters()]
    same(run)


# ----------------------------------------------------------------------------- printing
def test_extra_repr_lines_and_children_print_as_torch():
    def run(lib, nn, model):
        class Two(nn.Module):
            def extra_repr(self):
                return "alpha=1,\nbeta=2"

        class OneWithChild(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = Two()

            def extra_repr(self):
                return "size=3"
        return repr(Two()), repr(OneWithChild()), repr(model)
    two, one_with_child, _ = same(run)
    assert two == "Two(\n  alpha=1,\n  beta=2\n)"
    assert one_with_child.startswith("OneWithChild(\n  size=3\n  (inner): Two(")


# ----------------------------------------------------------------------------- state dicts
def test_state_dict_prefix_destination_and_keep_vars_match_torch():
    def run(lib, nn, model):
        destination = OrderedDict(first=0)
        returned = model.state_dict(destination=destination, prefix="net.")
        kept = model.state_dict(keep_vars=True)
        return (returned is destination, list(destination), kept["fc.weight"] is model.fc.weight,
                kept["step"] is model.step, list(model.head.state_dict(prefix="h.")))
    same(run)


def test_state_dict_positional_arguments_warn_as_torch():
    def run(lib, nn, model):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            state = model.state_dict(None, "p.")
        return list(state)[:2], [w.category.__name__ for w in caught]
    assert same(run)[1] == ["FutureWarning"]


def torch_style_state(model):
    return {k: np.asarray(v) for k, v in model.state_dict().items()}


LOADS = {
    "unexpected_everywhere": lambda s: s.update({"extra": s["step"], "fc.extra": s["step"],
                                                 "zz.w": s["step"], "head.5.weight": s["step"]}),
    "missing": lambda s: (s.pop("fc.bias"), s.pop("bn.running_var")),
    "missing_and_unexpected": lambda s: (s.pop("scale"), s.update({"x": s["step"]})),
    "non_persistent_given": lambda s: s.update({"cache": np.zeros(2, np.float32)}),
    "none_buffer_given": lambda s: s.update({"empty": np.zeros(1, np.float32)}),
    "under_a_none_child": lambda s: s.update({"missing.weight": np.zeros(1, np.float32)}),
}


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("case", list(LOADS))
def test_load_state_dict_keys_and_messages_match_torch(case, strict):
    def run(lib, nn, model):
        state = torch_style_state(model)
        LOADS[case](state)
        state = {k: lib.tensor(v) for k, v in state.items()}
        try:
            result = model.load_state_dict(state, strict=strict)
        except RuntimeError as error:
            return "RuntimeError", str(error)
        return repr(result), list(result.missing_keys), list(result.unexpected_keys)
    same(run)


def test_load_state_dict_refuses_a_non_mapping_and_reports_all_matched():
    assert same(lambda lib, nn, model: model.load_state_dict([("scale", 1)])) == "TypeError"
    assert same(lambda lib, nn, model: repr(model.load_state_dict(model.state_dict()))) == \
        "<All keys matched successfully>"


def test_load_state_dict_with_a_size_mismatch_changes_nothing():
    model = build(mg, mg.nn)
    before = model.state_dict()
    state = {k: np.full_like(v, 3) for k, v in before.items()}
    state["fc.weight"] = np.zeros((5, 3), np.float32)
    with pytest.raises(RuntimeError, match="size mismatch for fc.weight"):
        model.load_state_dict(state, strict=False)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_load_state_dict_assign_replaces_tensors_as_torch():
    def run(lib, nn, model):
        model.fc.requires_grad_(False)
        state = {k: lib.tensor(np.full(v.shape, 2.0, np.float64) if v.dtype.kind == "f" else v)
                 for k, v in torch_style_state(model).items()}
        old_weight = model.fc.weight
        model.load_state_dict(state, assign=True)
        weight = model.fc.weight
        return (weight is old_weight, type(weight).__name__, weight.requires_grad,
                model.scale.requires_grad, str(weight.dtype).split(".")[-1],
                str(model.bn.running_mean.dtype).split(".")[-1], float(model.scale.detach().sum()),
                type(model.step).__name__)
    result = same(run)
    assert result[:5] == (False, "Parameter", False, True, "float64")


def test_load_state_dict_copies_in_place_without_assign():
    model = build(mg, mg.nn)
    held = model.fc.weight
    model.load_state_dict({k: np.full(v.shape, 2.0) for k, v in model.state_dict().items()})
    assert model.fc.weight is held and held.dtype == mg.float32
    assert np.all(held.numpy() == 2.0)


# ----------------------------------------------------------------------------- dtypes
def dtype_names(model):
    return {k: str(v.dtype).split(".")[-1] for k, v in model.state_dict(keep_vars=True).items()}


CONVERSIONS = {
    "half": lambda lib, m: m.half(),
    "double": lambda lib, m: m.double(),
    "type_float64": lambda lib, m: m.type(lib.float64),
    "to_dtype_keyword": lambda lib, m: m.to(dtype=lib.float64),
    "to_tensor": lambda lib, m: m.to(lib.zeros(1, dtype=lib.float64)),
    "to_integer_dtype": lambda lib, m: m.to(lib.int64),
}


@pytest.mark.parametrize("case", list(CONVERSIONS))
def test_dtype_conversions_match_torch(case):
    def run(lib, nn, model):
        returned = CONVERSIONS[case](lib, model)
        return returned is model, dtype_names(model)
    same(run)


def test_half_model_runs_forward_in_float16():
    model = mg.nn.Sequential(mg.nn.Linear(3, 2)).half()
    out = model(mg.ones(4, 3, dtype=mg.float16))
    assert out.dtype == mg.float16 and model[0].weight.dtype == mg.float16
