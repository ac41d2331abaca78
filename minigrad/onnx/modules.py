"""Layers exported whole, as one ONNX op each, instead of the ops their forward runs:

- ``BatchNorm1d/2d/3d`` in evaluation with running statistics: ``BatchNormalization``,
  the running mean and variance its initializers (under their ``state_dict`` names);
- ``InstanceNorm1d/2d/3d`` with the input's statistics: ``InstanceNormalization`` (the
  ops would tile the weight by the recorded batch size);
- ``RNN``, ``LSTM``, ``GRU``: ONNX's ``RNN``, ``LSTM`` and ``GRU`` per layer, the weights
  reordered in the graph from PyTorch's gate order to ONNX's (LSTM: i, f, g, o to i, o, f,
  c; GRU: r, z, n to z, r, h, with ``linear_before_reset``). Without ``hx`` the initial
  state is ONNX's default, zeros of the runtime batch size.

A subclass that overrides ``forward`` is traced op by op like any other module.
"""

from minigrad import nn

RECURRENT_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2)}  # ONNX's gates, by PyTorch's index


def _batch_norm_applies(module):
    return not module.training and module.running_mean is not None \
        and module.running_var is not None


def _batch_norm(g, module, call):
    x = call.args[0]
    where = call.where
    channels = x.shape[1]
    mean = g.value_of(module.running_mean, "BatchNormalization", where)
    var = g.value_of(module.running_var, "BatchNormalization", where)
    scale = g.value_of(module.weight, "BatchNormalization", where) \
        if module.weight is not None else g.constant([1] * channels, x.dtype)
    bias = g.value_of(module.bias, "BatchNormalization", where) \
        if module.bias is not None else g.constant([0] * channels, x.dtype)
    return g.op("BatchNormalization", x, scale, bias, mean, var, epsilon=float(module.eps))


def _instance_norm_applies(module):
    return module.training or not module.track_running_stats


def _instance_norm(g, module, call):
    """Without affine parameters the channel count is the input's (PyTorch only warns when
    it differs from num_features), so the unit scale and zero bias follow it."""
    x = call.args[0]
    batched = x.ndim == module.input_ranks[1]
    y = x.name if batched else g.op("Unsqueeze", x, g.ints([0]))
    channels = g.op("Shape", y, start=1, end=2)
    where = call.where
    scale = g.value_of(module.weight, "InstanceNormalization", where) \
        if module.weight is not None else g.op("Expand", g.scalar(1, x), channels)
    bias = g.value_of(module.bias, "InstanceNormalization", where) \
        if module.bias is not None else g.op("Expand", g.scalar(0, x), channels)
    y = g.op("InstanceNormalization", y, scale, bias, epsilon=float(module.eps))
    return y if batched else g.op("Squeeze", y, g.ints([0]))


def _gate_rows(g, weight, mode, hidden):
    """A (gates * hidden, *) weight or bias with its gate blocks in ONNX's order."""
    order = RECURRENT_ORDER.get(mode)
    if order is None:
        return weight
    blocks = g.split(weight, 0, (hidden,) * len(order))
    return g.op("Concat", *(blocks[i] for i in order), axis=0)


def _layer_slice(g, state, layer, batched):
    """Layer ``layer`` of a (num_layers, batch, hidden) state as ONNX's (1, batch, hidden)."""
    if not batched:
        state = g.op("Unsqueeze", state, g.ints([1]))
    return g.op("Slice", state, g.ints([layer]), g.ints([layer + 1]), g.ints([0]))


def _recurrent(g, module, call):
    mode, hidden = module.mode, module.hidden_size
    x = call.args[0]
    hx = call.args[1] if len(call.args) > 1 else None
    batched = x.ndim == 3
    if not batched:
        seq = g.op("Unsqueeze", x, g.ints([1]))
    else:
        seq = g.op("Transpose", x, perm=[1, 0, 2]) if module.batch_first else x.name
    if mode == "LSTM" and hx is not None:
        h0, c0 = hx
    else:
        h0, c0 = hx, None
    final_h, final_c = [], []
    for layer, (w_ih, w_hh, b_ih, b_hh) in enumerate(module._layer_weights()):
        def value(tensor):
            return g.value_of(tensor, type(module).__name__, call.where)

        w = g.op("Unsqueeze", _gate_rows(g, value(w_ih), mode, hidden), g.ints([0]))
        r = g.op("Unsqueeze", _gate_rows(g, value(w_hh), mode, hidden), g.ints([0]))
        b = None
        if b_ih is not None:
            both = g.op("Concat", _gate_rows(g, value(b_ih), mode, hidden),
                        _gate_rows(g, value(b_hh), mode, hidden), axis=0)
            b = g.op("Unsqueeze", both, g.ints([0]))
        initial = [None if s is None else _layer_slice(g, s, layer, batched) for s in (h0, c0)]
        if mode == "LSTM":
            y, y_h, y_c = g.op("LSTM", seq, w, r, b, None, *initial, hidden_size=hidden,
                               outputs=3)
            final_c.append(y_c)
        elif mode == "GRU":
            y, y_h = g.op("GRU", seq, w, r, b, None, initial[0], hidden_size=hidden,
                          linear_before_reset=1, outputs=2)
        else:
            y, y_h = g.op("RNN", seq, w, r, b, None, initial[0], hidden_size=hidden,
                          activations=["Tanh" if mode == "RNN_TANH" else "Relu"], outputs=2)
        final_h.append(y_h)
        seq = g.op("Squeeze", y, g.ints([1]))  # NOTE: (seq, 1 direction, batch, hidden)
    if not batched:
        output = g.op("Squeeze", seq, g.ints([1]))
    else:
        output = g.op("Transpose", seq, perm=[1, 0, 2]) if module.batch_first else seq
    finals = [_stacked(g, states, batched) for states in (final_h, final_c) if states]
    return (output, *finals)


def _stacked(g, states, batched):
    """Each layer's (1, batch, hidden) final state joined as (num_layers, batch, hidden)."""
    joined = states[0] if len(states) == 1 else g.op("Concat", *states, axis=0)
    return joined if batched else g.op("Squeeze", joined, g.ints([1]))


def _always(module):
    return True


# class -> (whether this instance is exported whole, translate(g, module, call))
MODULE_TABLE = {
    nn.BatchNorm1d: (_batch_norm_applies, _batch_norm),
    nn.BatchNorm2d: (_batch_norm_applies, _batch_norm),
    nn.BatchNorm3d: (_batch_norm_applies, _batch_norm),
    nn.InstanceNorm1d: (_instance_norm_applies, _instance_norm),
    nn.InstanceNorm2d: (_instance_norm_applies, _instance_norm),
    nn.InstanceNorm3d: (_instance_norm_applies, _instance_norm),
    nn.RNN: (_always, _recurrent),
    nn.LSTM: (_always, _recurrent),
    nn.GRU: (_always, _recurrent),
}


def whole_translation(module):
    """The translation of ``module`` as one node, or None to trace its ops."""
    for cls in type(module).__mro__:
        entry = MODULE_TABLE.get(cls)
        if entry is not None:
            applies, translate = entry
            overridden = type(module).forward is not cls.forward
            return translate if applies(module) and not overridden else None
    return None
