"""Neural-network building blocks, as ``torch.nn``: Module, Parameter, layers, losses,
``functional`` (``F``), ``init`` and ``utils``."""

from minigrad.nn import functional, init, utils
from minigrad.nn.layers.activation import (
                                           ELU,
                                           GELU,
                                           LeakyReLU,
                                           LogSoftmax,
                                           ReLU,
                                           Sigmoid,
                                           Softmax,
                                           Tanh,
)
from minigrad.nn.layers.container import Sequential
from minigrad.nn.layers.dropout import Dropout
from minigrad.nn.layers.linear import Identity, Linear
from minigrad.nn.layers.loss import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from minigrad.nn.layers.normalization import BatchNorm1d, LayerNorm
from minigrad.nn.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter

__all__ = ["functional", "init", "utils", "Module", "Parameter", "Sequential", "Identity", "Linear",
           "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax",
           "BatchNorm1d", "LayerNorm", "Dropout", "MSELoss", "L1Loss", "CrossEntropyLoss",
           "NLLLoss", "BCEWithLogitsLoss", "RNN", "LSTM", "GRU", "RNNCell",
           "LSTMCell", "GRUCell"]
