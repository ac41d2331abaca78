"""The PyTorch names issue 11 promises, by family: the API coverage test fails when one of
them is missing from minigrad, so the surface cannot silently shrink."""

# torch.<name>
FUNCTIONS = """
sin cos tan asin acos atan atan2 sinh cosh log1p expm1 log2 log10 exp2 square rsqrt reciprocal
sign floor ceil round trunc frac fmod remainder erf erfc lerp addcmul addcdiv hypot logaddexp
nan_to_num clip clamp relu sigmoid tanh softmax log_softmax selu celu prelu threshold
exp log sqrt abs maximum minimum pow
prod std var var_mean std_mean norm logsumexp amax amin argmax argmin all any cumsum cumprod
mean sum count_nonzero max min
broadcast_to tile repeat_interleave chunk split unbind narrow flip roll movedim moveaxis
swapaxes swapdims t gather scatter scatter_add index_select masked_fill masked_select
take_along_dim tril triu diag diagonal trace einsum outer dot mm bmm mv addmm baddbmm
matmul nonzero sort argsort topk unique bincount where cat stack reshape transpose permute
squeeze unsqueeze flatten
eq ne lt le gt ge isclose allclose equal isnan isinf isfinite logical_and logical_or
logical_not logical_xor
empty eye linspace logspace full full_like empty_like zeros zeros_like ones ones_like rand
rand_like randn randn_like randint randint_like randperm normal bernoulli multinomial arange
tensor from_numpy as_tensor is_tensor numel get_default_dtype set_default_dtype manual_seed
no_grad enable_grad set_grad_enabled is_grad_enabled inference_mode
Generator device float double half long int bool float16 float32 float64 int8 int16 int32
int64 uint8
accelerator set_default_device get_default_device set_num_threads get_num_threads
set_printoptions use_deterministic_algorithms are_deterministic_algorithms_enabled
""".split()

# torch.Tensor.<name>
TENSOR_METHODS = """
sin cos tan asin acos atan atan2 sinh cosh log1p expm1 log2 log10 exp2 square rsqrt reciprocal
sign floor ceil round trunc frac fmod remainder erf erfc lerp addcmul addcdiv hypot logaddexp
nan_to_num clip clamp relu sigmoid tanh softmax log_softmax prelu exp log sqrt abs pow
prod std var norm logsumexp amax amin argmax argmin all any cumsum cumprod mean sum
count_nonzero max min
expand expand_as repeat repeat_interleave tile chunk split unbind narrow flip roll movedim
swapaxes t mT T view view_as reshape reshape_as broadcast_to gather scatter scatter_add
index_select masked_fill masked_select take_along_dim tril triu diag diagonal trace outer dot
mm bmm mv addmm baddbmm matmul nonzero sort argsort topk unique bincount transpose permute
squeeze unsqueeze flatten
eq ne lt le gt ge isclose allclose equal isnan isinf isfinite logical_and logical_or
logical_not logical_xor
add_ sub_ mul_ div_ clamp_ zero_ fill_ copy_ normal_ uniform_ masked_fill_ scatter_
new_zeros new_ones new_full new_tensor new_empty float double half long int bool type
type_as clone contiguous cpu cuda to numel item tolist numpy detach requires_grad_
register_hook retain_grad backward
""".split()

# torch.nn.<name>
NN_CLASSES = """
Module Parameter Sequential ModuleList ModuleDict ParameterList ParameterDict Flatten Unflatten
Linear Bilinear Embedding Identity
ReLU Sigmoid Tanh Softmax LogSoftmax LeakyReLU ELU GELU Softplus SiLU Mish Hardtanh ReLU6
SELU CELU PReLU LogSigmoid Softsign Hardswish Hardsigmoid Softmin Threshold GLU
BatchNorm1d LayerNorm RMSNorm GroupNorm Dropout
MSELoss L1Loss CrossEntropyLoss NLLLoss BCEWithLogitsLoss BCELoss HuberLoss SmoothL1Loss
KLDivLoss CosineEmbeddingLoss MarginRankingLoss SoftMarginLoss GaussianNLLLoss PoissonNLLLoss
RNN LSTM GRU RNNCell LSTMCell GRUCell
MultiheadAttention TransformerEncoderLayer TransformerDecoderLayer TransformerEncoder
TransformerDecoder Transformer
LazyLinear LazyConv1d LazyConv2d LazyBatchNorm1d LazyBatchNorm2d UninitializedParameter
UninitializedBuffer SyncBatchNorm
""".split()

# torch.nn.functional.<name>
FUNCTIONAL = """
linear bilinear relu sigmoid tanh softmax log_softmax leaky_relu elu gelu softplus silu mish
hardtanh relu6 selu celu prelu logsigmoid softsign hardswish hardsigmoid softmin threshold glu
batch_norm layer_norm rms_norm group_norm dropout embedding one_hot pad normalize
cosine_similarity
mse_loss l1_loss cross_entropy nll_loss binary_cross_entropy_with_logits binary_cross_entropy
huber_loss smooth_l1_loss kl_div cosine_embedding_loss margin_ranking_loss soft_margin_loss
gaussian_nll_loss poisson_nll_loss
scaled_dot_product_attention multi_head_attention_forward
""".split()

# torch.optim.<name> and torch.optim.lr_scheduler.<name>
OPTIMIZERS = "SGD Adam AdamW RMSprop Adagrad Adadelta Adamax NAdam RAdam ASGD Rprop".split()
SCHEDULERS = """
StepLR MultiStepLR ExponentialLR CosineAnnealingLR CosineAnnealingWarmRestarts CyclicLR
OneCycleLR LambdaLR MultiplicativeLR LinearLR ConstantLR ReduceLROnPlateau
""".split()

# torch.utils.data.<name>
DATA = """
Dataset IterableDataset TensorDataset Subset ConcatDataset ChainDataset random_split
Sampler SequentialSampler RandomSampler BatchSampler default_collate DataLoader
DistributedSampler
""".split()

# torch.autograd.<name>
AUTOGRAD = "Function backward grad".split()
