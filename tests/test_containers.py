"""``nn`` containers against ``torch.nn``, side by side: the same calls on ``Sequential``,
``ModuleList``, ``ModuleDict``, ``ParameterList``, ``ParameterDict``, ``Flatten`` and
``Unflatten`` in both frameworks give the same children, state dict keys, reprs and error
types. (Forward, gradients and the state dicts of the registered ones are swept by
test_nn_parity.py through the module registry.)"""

from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

FRAMEWORKS = {"minigrad": (mg.nn, mg.zeros), "torch": (torch.nn, torch.zeros)}


def outcome(fn, nn, zeros):
    """``fn(nn, zeros)``'s value, or the name of the exception it raised."""
    try:
        return fn(nn, zeros)
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error).__name__


def same(fn):
    """Run ``fn(nn, zeros)`` in both frameworks; their results (or exception types) agree."""
    ours, theirs = (outcome(fn, *FRAMEWORKS[name]) for name in ("minigrad", "torch"))
    assert ours == theirs
    return ours


def summary(container):
    """What must agree: the children's names and types, the state dict keys, the repr."""
    return ([(name, type(m).__name__) for name, m in container.named_children()],
            list(container.state_dict()), repr(container))


def layers(nn, n=4):
    """Children that print differently, so a wrong order shows in the repr."""
    return [nn.Linear(i + 1, i + 2) for i in range(n)]


# ----------------------------------------------------------------------------- Sequential
SEQUENTIAL_STEPS = {
    "append": lambda nn, s: s.append(nn.Tanh()),
    "insert_front": lambda nn, s: s.insert(0, nn.ReLU()),
    "insert_negative": lambda nn, s: s.insert(-1, nn.Sigmoid()),
    "insert_end": lambda nn, s: s.insert(len(s), nn.GELU()),
    "extend": lambda nn, s: s.extend([nn.Identity(), nn.Linear(2, 2)]),
    "pop": lambda nn, s: s.pop(1),
    "pop_negative": lambda nn, s: s.pop(-2),
    "del_index": lambda nn, s: s.__delitem__(2),
    "del_slice": lambda nn, s: s.__delitem__(slice(None, None, 2)),
    "setitem_negative": lambda nn, s: s.__setitem__(-1, nn.Tanh()),
    "iadd": lambda nn, s: s.__iadd__(nn.Sequential(nn.ReLU())),
    "imul": lambda nn, s: s.__imul__(2),
}


@pytest.mark.parametrize("step", list(SEQUENTIAL_STEPS))
def test_sequential_edits_match_torch(step):
    def run(nn, zeros):
        seq = nn.Sequential(*layers(nn))
        returned = SEQUENTIAL_STEPS[step](nn, seq)
        kind = "self" if returned is seq else type(returned).__name__
        return kind, summary(seq), len(seq), [type(m).__name__ for m in seq]
    same(run)


@pytest.mark.parametrize("index", [0, 2, -1, -4, slice(1, 3), slice(None, None, -1),
                                   slice(5, 9)], ids=str)
def test_sequential_indexing_and_slicing_match_torch(index):
    def run(nn, zeros):
        seq = nn.Sequential(*layers(nn))
        item = seq[index]
        return type(item).__name__, repr(item), item is seq[index]
    kind, _, _ = same(run)
    assert kind == ("Sequential" if isinstance(index, slice) else "Linear")


def test_sequential_slice_and_pop_share_the_modules():
    seq = mg.nn.Sequential(*layers(mg.nn))
    assert seq[1:3][0] is seq[1]
    second = seq[1]
    assert seq.pop(1) is second and len(seq) == 3


def test_sequential_arithmetic_matches_torch():
    def run(nn, zeros):
        a, b = nn.Sequential(*layers(nn, 2)), nn.Sequential(nn.ReLU())
        joined, tripled, left = a + b, a * 3, 2 * b
        return (summary(joined), summary(tripled), summary(left),
                tripled[0] is tripled[2] is a[0])
    same(run)


def test_sequential_from_an_ordered_dict_keeps_names_until_a_deletion():
    def run(nn, zeros):
        seq = nn.Sequential(OrderedDict(encoder=nn.Linear(2, 3), act=nn.ReLU(),
                                        decoder=nn.Linear(3, 1)))
        before = summary(seq), summary(seq[1:]), seq.encoder is seq[0]
        del seq[1]  # PyTorch renumbers what is left
        return before, summary(seq)
    (_, keys, _), _, _ = same(run)[0]
    assert keys == ["encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"]


SEQUENTIAL_ERRORS = {
    "index_out_of_range": lambda nn, s: s[4],
    "negative_out_of_range": lambda nn, s: s[-5],
    "string_index": lambda nn, s: s["0"],
    "insert_out_of_range": lambda nn, s: s.insert(6, nn.ReLU()),
    "insert_non_module": lambda nn, s: s.insert(0, 3),
    "append_non_module": lambda nn, s: s.append("relu"),
    "add_list": lambda nn, s: s + [nn.ReLU()],
    "iadd_list": lambda nn, s: s.__iadd__([nn.ReLU()]),
    "mul_float": lambda nn, s: s * 2.0,
    "mul_zero": lambda nn, s: s * 0,
    "del_out_of_range": lambda nn, s: s.__delitem__(7),
    "extend_non_iterable": lambda nn, s: s.extend(3),
}


@pytest.mark.parametrize("case", list(SEQUENTIAL_ERRORS))
def test_sequential_errors_match_torch(case):
    result = same(lambda nn, zeros: SEQUENTIAL_ERRORS[case](nn, nn.Sequential(*layers(nn))))
    assert isinstance(result, str) and result.endswith("Error")


def test_sequential_dir_hides_numeric_names():
    seq = mg.nn.Sequential(*layers(mg.nn, 2))
    assert "0" not in dir(seq) and "append" in dir(seq)


# ----------------------------------------------------------------------------- ModuleList
MODULE_LIST_STEPS = {
    "append": lambda nn, m: m.append(nn.Tanh()),
    "extend": lambda nn, m: m.extend([nn.ReLU(), nn.ReLU()]),
    "iadd": lambda nn, m: m.__iadd__([nn.Sigmoid()]),
    "insert": lambda nn, m: m.insert(1, nn.ReLU()),
    "pop": lambda nn, m: m.pop(0),
    "del_negative": lambda nn, m: m.__delitem__(-2),
    "del_slice": lambda nn, m: m.__delitem__(slice(1, 3)),
    "setitem": lambda nn, m: m.__setitem__(2, nn.ReLU()),
}


@pytest.mark.parametrize("step", list(MODULE_LIST_STEPS))
def test_module_list_edits_match_torch(step):
    def run(nn, zeros):
        modules = nn.ModuleList(layers(nn))
        returned = MODULE_LIST_STEPS[step](nn, modules)
        kind = "self" if returned is modules else type(returned).__name__
        return kind, summary(modules), [type(m).__name__ for m in modules]
    same(run)


def test_module_list_indexing_add_and_repr_match_torch():
    def run(nn, zeros):
        modules = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()] * 2)
        both = modules + [nn.Tanh()]
        return (summary(modules), summary(modules[1:4]), type(modules[1:4]).__name__,
                repr(modules[-1]), summary(both), summary(nn.ModuleList()))
    (_, _, text), *_ = same(run)
    assert "(0-2): 3 x Linear" in text and "(3-4): 2 x ReLU()" in text


@pytest.mark.parametrize("call", [
    lambda nn, m: m[3], lambda nn, m: m(None), lambda nn, m: m.extend(5),
    lambda nn, m: m.append(3)], ids=["index", "call", "extend_int", "append_int"])
def test_module_list_errors_match_torch(call):
    result = same(lambda nn, zeros: call(nn, nn.ModuleList(layers(nn, 2))))
    assert isinstance(result, str)


def test_module_list_insert_takes_negative_indices_as_a_list_does():
    # NOTE: PyTorch's ModuleList.insert mishandles these (KeyError, or a key '5' in a list
    # of two); minigrad follows list.insert and Sequential.insert
    modules = mg.nn.ModuleList(layers(mg.nn, 3))
    reference = list(modules)
    relu = mg.nn.ReLU()
    modules.insert(-1, relu)
    reference.insert(-1, relu)
    assert list(modules) == reference and list(modules._modules) == ["0", "1", "2", "3"]
    with pytest.raises(IndexError):
        modules.insert(9, mg.nn.ReLU())


# ----------------------------------------------------------------------------- ModuleDict
MODULE_DICT_SOURCES = {
    "dict": lambda nn: {"b": nn.Linear(1, 2), "a": nn.ReLU(), "c": nn.Linear(2, 1)},
    "ordered_dict": lambda nn: OrderedDict(b=nn.Linear(1, 2), a=nn.ReLU()),
    "pairs": lambda nn: [("z", nn.Tanh()), ("y", nn.Linear(3, 3))],
    "module_dict": lambda nn: nn.ModuleDict({"q": nn.Linear(1, 1), "p": nn.ReLU()}),
}


@pytest.mark.parametrize("source", list(MODULE_DICT_SOURCES))
def test_module_dict_construction_and_update_match_torch(source):
    def run(nn, zeros):
        modules = nn.ModuleDict(MODULE_DICT_SOURCES[source](nn))
        built = summary(modules), list(modules), list(modules.keys()), len(modules)
        modules.update({"extra": nn.Linear(4, 4)})
        modules["b"] = nn.GELU()
        return built, summary(modules), [type(m).__name__ for m in modules.values()]
    same(run)


def test_module_dict_mapping_methods_match_torch():
    def run(nn, zeros):
        modules = nn.ModuleDict({"b": nn.Linear(1, 2), "a": nn.ReLU(), "c": nn.Tanh()})
        popped = type(modules.pop("a")).__name__
        del modules["b"]
        state = ("a" in modules, "c" in modules, [k for k, _ in modules.items()])
        modules.clear()
        return popped, state, summary(modules)
    same(run)


@pytest.mark.parametrize("update", [
    lambda nn: 5, lambda nn: [("a", nn.ReLU(), 1)], lambda nn: [3],
    lambda nn: {"train": nn.ReLU()}, lambda nn: {"a.b": nn.ReLU()}, lambda nn: {"": nn.ReLU()},
    lambda nn: {"a": 3}], ids=["int", "triple", "non_iterable_element", "existing_attribute",
                               "dotted_key", "empty_key", "not_a_module"])
def test_module_dict_errors_match_torch(update):
    result = same(lambda nn, zeros: nn.ModuleDict().update(update(nn)))
    assert isinstance(result, str)


def test_module_dict_missing_key_is_a_key_error():
    assert same(lambda nn, zeros: nn.ModuleDict()["nope"]) == "KeyError"


# ----------------------------------------------------------------------------- ParameterList
def in_torch_words(text):
    """A minigrad repr as PyTorch's would read (``minigrad.float32`` -> ``torch.float32``)."""
    return text.replace("minigrad.", "torch.")


def parameter_summary(container):
    return ([(n, tuple(p.shape)) for n, p in container.named_parameters()],
            list(container.state_dict()), in_torch_words(repr(container)))


def test_parameter_list_matches_torch():
    def run(nn, zeros):
        params = nn.ParameterList([nn.Parameter(zeros(2, 3)), zeros(4)])
        params.append(zeros(1, dtype=(mg if nn is mg.nn else torch).float64))
        params.extend([zeros(2, 2), "not a tensor"])
        params += [zeros(5)]
        params[0] = zeros(3, 3)
        kinds = [type(p).__name__ for p in params]
        sliced = params[1:4]
        return (parameter_summary(params), kinds, len(params), type(sliced).__name__,
                parameter_summary(sliced), sliced[0] is params[1], params[-1] is params[5])
    (names, keys, text), kinds, *_ = same(run)
    assert keys == ["0", "1", "2", "3", "5"]
    assert kinds == ["Parameter"] * 4 + ["str", "Parameter"]
    assert "(4): Object of type: str" in text


def test_parameter_list_one_entry_repr_and_empty_repr_match_torch():
    same(lambda nn, zeros: [in_torch_words(repr(nn.ParameterList(v)))
                            for v in ([zeros(3)], [], None)])


@pytest.mark.parametrize("call", [
    lambda nn, zeros, p: p[2], lambda nn, zeros, p: p.extend(zeros(3)),
    lambda nn, zeros, p: p.extend(4), lambda nn, zeros, p: p(zeros(1)),
    lambda nn, zeros, p: p.__setitem__(-3, zeros(1))],
    ids=["index", "extend_tensor", "extend_int", "call", "setitem_out_of_range"])
def test_parameter_list_errors_match_torch(call):
    result = same(lambda nn, zeros: call(nn, zeros, nn.ParameterList([zeros(2), zeros(3)])))
    assert isinstance(result, str)


def test_parameter_list_members_are_trained_parameters():
    params = mg.nn.ParameterList([mg.ones(3), mg.ones(2)])
    assert all(p.requires_grad for p in params.parameters())
    (params[0].sum() * 2 + params[1].sum()).backward()
    np.testing.assert_array_equal(params[0].grad.numpy(), [2, 2, 2])
    np.testing.assert_array_equal(params[1].grad.numpy(), [1, 1])


# ----------------------------------------------------------------------------- ParameterDict
def test_parameter_dict_construction_orders_as_torch():
    def run(nn, zeros):
        plain = nn.ParameterDict({"b": zeros(2), "a": zeros(3), "c": nn.Parameter(zeros(1))})
        ordered = nn.ParameterDict(OrderedDict(b=zeros(2), a=zeros(3)))
        pairs = nn.ParameterDict([("z", zeros(1)), ("y", zeros(2))])
        return [(parameter_summary(d), list(d)) for d in (plain, ordered, pairs)]
    (_, plain_keys), *_ = same(run)
    assert plain_keys == ["a", "b", "c"]  # a plain dict is taken sorted, as PyTorch does


def test_parameter_dict_mapping_methods_match_torch():
    def run(nn, zeros):
        params = nn.ParameterDict({"w": zeros(2, 3), "b": zeros(3)})
        results = [params.setdefault("s", zeros(1)).shape == (1,), "w" in params,
                   params.get("missing", 7), list(reversed(params)), len(params),
                   type(params.pop("b")).__name__]
        key, value = params.popitem()
        results += [key, tuple(value.shape), list(params.keys())]
        params["n"] = None
        params.update([("x", zeros(4))])
        copy = params.copy()
        results += [parameter_summary(params), copy["w"] is params["w"],
                    parameter_summary(params.fromkeys(["p", "q"], zeros(2))),
                    [k for k, _ in params.items()], [type(v).__name__ for v in params.values()]]
        merged = params | nn.ParameterDict({"m": zeros(1)})
        params |= {"u": zeros(5)}
        results += [parameter_summary(merged), parameter_summary(params)]
        params.clear()
        return results + [parameter_summary(params)]
    same(run)


@pytest.mark.parametrize("call", [
    lambda nn, zeros, p: p[3], lambda nn, zeros, p: p.__setitem__(3, zeros(1)),
    lambda nn, zeros, p: p["missing"], lambda nn, zeros, p: p(zeros(1)),
    lambda nn, zeros, p: p.update(5), lambda nn, zeros, p: p.update([("a",)])],
    ids=["int_key", "set_int_key", "missing", "call", "update_int", "update_short_pair"])
def test_parameter_dict_errors_match_torch(call):
    result = same(lambda nn, zeros: call(nn, zeros, nn.ParameterDict({"a": zeros(2)})))
    assert isinstance(result, str)


def test_parameter_containers_load_torchs_state_dict():
    torch_params = torch.nn.ParameterDict({"scale": torch.nn.Parameter(torch.randn(3)),
                                           "shift": torch.nn.Parameter(torch.randn(2, 2))})
    ours = mg.nn.ParameterDict({"scale": mg.zeros(3), "shift": mg.zeros(2, 2)})
    ours.load_state_dict(torch_params.state_dict())
    for key, value in torch_params.items():
        np.testing.assert_array_equal(ours[key].numpy(), value.detach().numpy())
    torch_list = torch.nn.ParameterList([torch.randn(4), torch.randn(1, 3)])
    our_list = mg.nn.ParameterList([mg.zeros(4), mg.zeros(1, 3)])
    our_list.load_state_dict(torch_list.state_dict())
    np.testing.assert_array_equal(our_list[1].numpy(), torch_list[1].detach().numpy())


# ----------------------------------------------------------------------------- Flatten, Unflatten
@pytest.mark.parametrize("make, shape", [
    (lambda nn: nn.Unflatten(1, (4, 2)), (2, 6)),
    (lambda nn: nn.Unflatten(1, (-1, -1)), (2, 6)),
    (lambda nn: nn.Unflatten(1, ()), (2, 6)),
    (lambda nn: nn.Unflatten(3, (2, 3)), (2, 6)),
    (lambda nn: nn.Unflatten(1, (4, -1)), (2, 6)),
    (lambda nn: nn.Unflatten(-1, (2, -1)), (2, 6)),
    (lambda nn: nn.Unflatten(1, 6), (2, 6)),
    (lambda nn: nn.Unflatten(1, (2, 3.0)), (2, 6)),
    (lambda nn: nn.Flatten(0, 5), (2, 3)),
], ids=["sizes_mismatch", "two_inferred", "no_sizes", "dim_out_of_range", "not_divisible",
        "inferred", "sizes_not_a_tuple", "float_size", "end_out_of_range"])
def test_shape_layers_match_torch_or_raise_the_same_error(make, shape):
    same(lambda nn, zeros: tuple(make(nn)(zeros(*shape)).shape))
