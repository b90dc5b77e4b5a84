// Numbers from the TFLite flatbuffer schema (schema.fbs) that both the reader and the writer need.
// Field ids are 0-based declaration positions; see /work/shared/notes/tflite-format.md.

export const TFLITE_FILE_IDENTIFIER = 'TFL3'
export const TFLITE_SCHEMA_VERSION = 3

/** TensorType enum, indexed by its value. */
export const TENSOR_TYPE_NAMES = [
  'float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16', 'complex64', 'int8',
  'float64', 'complex128', 'uint64', 'resource', 'variant', 'uint32', 'uint16', 'int4', 'bfloat16'
] as const
export type TensorTypeName = (typeof TENSOR_TYPE_NAMES)[number]

export const TensorType = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, INT8: 9 } as const

/** Bytes per element (int4 is packed two per byte; strings/resources have no fixed size). */
export const TENSOR_TYPE_BYTES: Record<string, number | null> = {
  float32: 4, float16: 2, int32: 4, uint8: 1, int64: 8, string: null, bool: 1, int16: 2, complex64: 8, int8: 1,
  float64: 8, complex128: 16, uint64: 8, resource: null, variant: null, uint32: 4, uint16: 2, int4: 0.5, bfloat16: 2
}

export function tensorTypeName(code: number): string {
  return TENSOR_TYPE_NAMES[code] ?? `type_${code}`
}

/** BuiltinOperator enum, indexed by its value. */
const BUILTIN_OPERATOR_NAMES = [
  'ADD', 'AVERAGE_POOL_2D', 'CONCATENATION', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'DEPTH_TO_SPACE', 'DEQUANTIZE',
  'EMBEDDING_LOOKUP', 'FLOOR', 'FULLY_CONNECTED', 'HASHTABLE_LOOKUP', 'L2_NORMALIZATION', 'L2_POOL_2D',
  'LOCAL_RESPONSE_NORMALIZATION', 'LOGISTIC', 'LSH_PROJECTION', 'LSTM', 'MAX_POOL_2D', 'MUL', 'RELU', 'RELU_N1_TO_1',
  'RELU6', 'RESHAPE', 'RESIZE_BILINEAR', 'RNN', 'SOFTMAX', 'SPACE_TO_DEPTH', 'SVDF', 'TANH', 'CONCAT_EMBEDDINGS',
  'SKIP_GRAM', 'CALL', 'CUSTOM', 'EMBEDDING_LOOKUP_SPARSE', 'PAD', 'UNIDIRECTIONAL_SEQUENCE_RNN', 'GATHER',
  'BATCH_TO_SPACE_ND', 'SPACE_TO_BATCH_ND', 'TRANSPOSE', 'MEAN', 'SUB', 'DIV', 'SQUEEZE',
  'UNIDIRECTIONAL_SEQUENCE_LSTM', 'STRIDED_SLICE', 'BIDIRECTIONAL_SEQUENCE_RNN', 'EXP', 'TOPK_V2', 'SPLIT',
  'LOG_SOFTMAX', 'DELEGATE', 'BIDIRECTIONAL_SEQUENCE_LSTM', 'CAST', 'PRELU', 'MAXIMUM', 'ARG_MAX', 'MINIMUM', 'LESS',
  'NEG', 'PADV2', 'GREATER', 'GREATER_EQUAL', 'LESS_EQUAL', 'SELECT', 'SLICE', 'SIN', 'TRANSPOSE_CONV',
  'SPARSE_TO_DENSE', 'TILE', 'EXPAND_DIMS', 'EQUAL', 'NOT_EQUAL', 'LOG', 'SUM', 'SQRT', 'RSQRT', 'SHAPE', 'POW',
  'ARG_MIN', 'FAKE_QUANT', 'REDUCE_PROD', 'REDUCE_MAX', 'PACK', 'LOGICAL_OR', 'ONE_HOT', 'LOGICAL_AND', 'LOGICAL_NOT',
  'UNPACK', 'REDUCE_MIN', 'FLOOR_DIV', 'REDUCE_ANY', 'SQUARE', 'ZEROS_LIKE', 'FILL', 'FLOOR_MOD', 'RANGE',
  'RESIZE_NEAREST_NEIGHBOR', 'LEAKY_RELU', 'SQUARED_DIFFERENCE', 'MIRROR_PAD', 'ABS', 'SPLIT_V', 'UNIQUE', 'CEIL',
  'REVERSE_V2', 'ADD_N', 'GATHER_ND', 'COS', 'WHERE', 'RANK', 'ELU', 'REVERSE_SEQUENCE', 'MATRIX_DIAG', 'QUANTIZE',
  'MATRIX_SET_DIAG', 'ROUND', 'HARD_SWISH', 'IF', 'WHILE', 'NON_MAX_SUPPRESSION_V4', 'NON_MAX_SUPPRESSION_V5',
  'SCATTER_ND', 'SELECT_V2', 'DENSIFY', 'SEGMENT_SUM', 'BATCH_MATMUL', 'PLACEHOLDER_FOR_GREATER_OP_CODES', 'CUMSUM',
  'CALL_ONCE', 'BROADCAST_TO', 'RFFT2D', 'CONV_3D', 'IMAG', 'REAL', 'COMPLEX_ABS', 'HASHTABLE', 'HASHTABLE_FIND',
  'HASHTABLE_IMPORT', 'HASHTABLE_SIZE', 'REDUCE_ALL', 'CONV_3D_TRANSPOSE', 'VAR_HANDLE', 'READ_VARIABLE',
  'ASSIGN_VARIABLE', 'BROADCAST_ARGS', 'RANDOM_STANDARD_NORMAL', 'BUCKETIZE', 'RANDOM_UNIFORM', 'MULTINOMIAL', 'GELU',
  'DYNAMIC_UPDATE_SLICE', 'RELU_0_TO_1', 'UNSORTED_SEGMENT_PROD', 'UNSORTED_SEGMENT_MAX', 'UNSORTED_SEGMENT_SUM',
  'ATAN2', 'UNSORTED_SEGMENT_MIN', 'SIGN', 'BITCAST', 'BITWISE_XOR', 'RIGHT_SHIFT'
]

export const BuiltinOp = {
  ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6, FULLY_CONNECTED: 9,
  MAX_POOL_2D: 17, RELU6: 21, RESHAPE: 22, SOFTMAX: 25, CUSTOM: 32, PAD: 34, MEAN: 40, QUANTIZE: 114, HARD_SWISH: 117
} as const

export function builtinOpName(code: number): string {
  return BUILTIN_OPERATOR_NAMES[code] ?? `BUILTIN_${code}`
}

/** BuiltinOptions union indices used by the writer (and decoded by the reader). */
export const OptionsType = {
  NONE: 0, Conv2DOptions: 1, DepthwiseConv2DOptions: 2, Pool2DOptions: 5, FullyConnectedOptions: 8, SoftmaxOptions: 9,
  ConcatenationOptions: 10, AddOptions: 11, ReshapeOptions: 17, ReducerOptions: 27
} as const

export const Padding = { SAME: 0, VALID: 1 } as const
export const Activation = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 } as const
export const PADDING_NAMES = ['SAME', 'VALID'] as const
export const ACTIVATION_NAMES = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'] as const
