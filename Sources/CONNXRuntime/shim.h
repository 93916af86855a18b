// Our declaration of the part of ONNX Runtime's C API that the server uses.
//
// No Debian package ships onnxruntime_c_api.h, so this file restates, in our own
// words, the facts of its ABI: the entry point `OrtGetApiBase`, the `OrtApiBase`
// struct, and the `OrtApi` table of function pointers in the header's order, up
// to the last entry we call (SessionOptionsAppendExecutionProvider_CUDA, the
// 153rd). Entries we never call are kept as opaque pointers so the offsets stay
// right. ONNX Runtime only appends to the table between versions, so a table
// requested with ORT_SHIM_API_VERSION stays valid in every later library.
// The library is loaded with dlopen (see ONNXRuntime/ORTBinding.swift); nothing
// links against it.
#ifndef CONNXRUNTIME_SHIM_H
#define CONNXRUNTIME_SHIM_H

#include <stddef.h>
#include <stdint.h>

/// The API version requested from GetApi. Version 13 (ONNX Runtime 1.13) has
/// every entry declared below; libraries up to 1.32 still serve it.
#define ORT_SHIM_API_VERSION 13

typedef enum ONNXTensorElementDataType {
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED = 0,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT = 1,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 = 2,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 = 3,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16 = 4,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16 = 5,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 = 6,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 = 7,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING = 8,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL = 9,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 = 10,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE = 11,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32 = 12,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64 = 13,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX64 = 14,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX128 = 15,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16 = 16
} ONNXTensorElementDataType;

typedef enum ONNXType {
    ONNX_TYPE_UNKNOWN = 0,
    ONNX_TYPE_TENSOR = 1,
    ONNX_TYPE_SEQUENCE = 2,
    ONNX_TYPE_MAP = 3,
    ONNX_TYPE_OPAQUE = 4,
    ONNX_TYPE_SPARSETENSOR = 5,
    ONNX_TYPE_OPTIONAL = 6
} ONNXType;

typedef enum OrtLoggingLevel {
    ORT_LOGGING_LEVEL_VERBOSE = 0,
    ORT_LOGGING_LEVEL_INFO = 1,
    ORT_LOGGING_LEVEL_WARNING = 2,
    ORT_LOGGING_LEVEL_ERROR = 3,
    ORT_LOGGING_LEVEL_FATAL = 4
} OrtLoggingLevel;

typedef enum OrtErrorCode {
    ORT_OK = 0,
    ORT_FAIL = 1,
    ORT_INVALID_ARGUMENT = 2,
    ORT_NO_SUCHFILE = 3,
    ORT_NO_MODEL = 4,
    ORT_ENGINE_ERROR = 5,
    ORT_RUNTIME_EXCEPTION = 6,
    ORT_INVALID_PROTOBUF = 7,
    ORT_MODEL_LOADED = 8,
    ORT_NOT_IMPLEMENTED = 9,
    ORT_INVALID_GRAPH = 10,
    ORT_EP_FAIL = 11
} OrtErrorCode;

typedef enum GraphOptimizationLevel {
    ORT_DISABLE_ALL = 0,
    ORT_ENABLE_BASIC = 1,
    ORT_ENABLE_EXTENDED = 2,
    ORT_ENABLE_ALL = 99
} GraphOptimizationLevel;

typedef enum ExecutionMode {
    ORT_SEQUENTIAL = 0,
    ORT_PARALLEL = 1
} ExecutionMode;

typedef enum OrtAllocatorType {
    OrtInvalidAllocator = -1,
    OrtDeviceAllocator = 0,
    OrtArenaAllocator = 1
} OrtAllocatorType;

typedef enum OrtMemType {
    OrtMemTypeCPUInput = -2,
    OrtMemTypeCPUOutput = -1,
    OrtMemTypeDefault = 0
} OrtMemType;

typedef struct OrtEnv OrtEnv;
typedef struct OrtStatus OrtStatus;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtSession OrtSession;
typedef struct OrtValue OrtValue;
typedef struct OrtRunOptions OrtRunOptions;
typedef struct OrtTypeInfo OrtTypeInfo;
typedef struct OrtTensorTypeAndShapeInfo OrtTensorTypeAndShapeInfo;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtArenaCfg OrtArenaCfg;
typedef struct OrtAllocator OrtAllocator;

/// CUDA execution provider settings, laid out as the 1.14+ libraries read them
/// (the three tunable-op fields were appended in 1.14; zero means "off").
typedef struct OrtCUDAProviderOptions {
    int device_id;
    int cudnn_conv_algo_search;  /* 0 exhaustive, 1 heuristic, 2 default */
    size_t gpu_mem_limit;
    int arena_extend_strategy;
    int do_copy_in_default_stream;
    int has_user_compute_stream;
    void *user_compute_stream;
    OrtArenaCfg *default_memory_arena_cfg;
    int tunable_op_enable;
    int tunable_op_tuning_enable;
    int tunable_op_max_tuning_duration_ms;
} OrtCUDAProviderOptions;

/// The function table, entries in ABI order (index in the comment block below).
typedef struct OrtApi {
    OrtStatus *(*CreateStatus)(OrtErrorCode code, const char *msg);
    OrtErrorCode (*GetErrorCode)(const OrtStatus *status);
    const char *(*GetErrorMessage)(const OrtStatus *status);
    OrtStatus *(*CreateEnv)(OrtLoggingLevel level, const char *logid, OrtEnv **out);
    const void *CreateEnvWithCustomLogger; /* not called */
    const void *EnableTelemetryEvents; /* not called */
    const void *DisableTelemetryEvents; /* not called */
    OrtStatus *(*CreateSession)(const OrtEnv *env, const char *model_path, const OrtSessionOptions *options, OrtSession **out);
    const void *CreateSessionFromArray; /* not called */
    OrtStatus *(*Run)(OrtSession *session, const OrtRunOptions *run_options, const char *const *input_names, const OrtValue *const *inputs, size_t input_len, const char *const *output_names, size_t output_names_len, OrtValue **outputs);
    OrtStatus *(*CreateSessionOptions)(OrtSessionOptions **options);
    OrtStatus *(*SetOptimizedModelFilePath)(OrtSessionOptions *options, const char *path);
    const void *CloneSessionOptions; /* not called */
    OrtStatus *(*SetSessionExecutionMode)(OrtSessionOptions *options, ExecutionMode mode);
    const void *EnableProfiling; /* not called */
    const void *DisableProfiling; /* not called */
    const void *EnableMemPattern; /* not called */
    const void *DisableMemPattern; /* not called */
    const void *EnableCpuMemArena; /* not called */
    const void *DisableCpuMemArena; /* not called */
    const void *SetSessionLogId; /* not called */
    const void *SetSessionLogVerbosityLevel; /* not called */
    const void *SetSessionLogSeverityLevel; /* not called */
    OrtStatus *(*SetSessionGraphOptimizationLevel)(OrtSessionOptions *options, GraphOptimizationLevel level);
    OrtStatus *(*SetIntraOpNumThreads)(OrtSessionOptions *options, int threads);
    OrtStatus *(*SetInterOpNumThreads)(OrtSessionOptions *options, int threads);
    const void *CreateCustomOpDomain; /* not called */
    const void *CustomOpDomain_Add; /* not called */
    const void *AddCustomOpDomain; /* not called */
    const void *RegisterCustomOpsLibrary; /* not called */
    OrtStatus *(*SessionGetInputCount)(const OrtSession *session, size_t *out);
    OrtStatus *(*SessionGetOutputCount)(const OrtSession *session, size_t *out);
    const void *SessionGetOverridableInitializerCount; /* not called */
    OrtStatus *(*SessionGetInputTypeInfo)(const OrtSession *session, size_t index, OrtTypeInfo **type_info);
    OrtStatus *(*SessionGetOutputTypeInfo)(const OrtSession *session, size_t index, OrtTypeInfo **type_info);
    const void *SessionGetOverridableInitializerTypeInfo; /* not called */
    OrtStatus *(*SessionGetInputName)(const OrtSession *session, size_t index, OrtAllocator *allocator, char **value);
    OrtStatus *(*SessionGetOutputName)(const OrtSession *session, size_t index, OrtAllocator *allocator, char **value);
    const void *SessionGetOverridableInitializerName; /* not called */
    const void *CreateRunOptions; /* not called */
    const void *RunOptionsSetRunLogVerbosityLevel; /* not called */
    const void *RunOptionsSetRunLogSeverityLevel; /* not called */
    const void *RunOptionsSetRunTag; /* not called */
    const void *RunOptionsGetRunLogVerbosityLevel; /* not called */
    const void *RunOptionsGetRunLogSeverityLevel; /* not called */
    const void *RunOptionsGetRunTag; /* not called */
    const void *RunOptionsSetTerminate; /* not called */
    const void *RunOptionsUnsetTerminate; /* not called */
    OrtStatus *(*CreateTensorAsOrtValue)(OrtAllocator *allocator, const int64_t *shape, size_t shape_len, ONNXTensorElementDataType type, OrtValue **out);
    OrtStatus *(*CreateTensorWithDataAsOrtValue)(const OrtMemoryInfo *info, void *p_data, size_t p_data_len, const int64_t *shape, size_t shape_len, ONNXTensorElementDataType type, OrtValue **out);
    OrtStatus *(*IsTensor)(const OrtValue *value, int *out);
    OrtStatus *(*GetTensorMutableData)(OrtValue *value, void **out);
    OrtStatus *(*FillStringTensor)(OrtValue *value, const char *const *s, size_t s_len);
    OrtStatus *(*GetStringTensorDataLength)(const OrtValue *value, size_t *len);
    OrtStatus *(*GetStringTensorContent)(const OrtValue *value, void *s, size_t s_len, size_t *offsets, size_t offsets_len);
    OrtStatus *(*CastTypeInfoToTensorInfo)(const OrtTypeInfo *type_info, const OrtTensorTypeAndShapeInfo **out);
    OrtStatus *(*GetOnnxTypeFromTypeInfo)(const OrtTypeInfo *type_info, ONNXType *out);
    const void *CreateTensorTypeAndShapeInfo; /* not called */
    const void *SetTensorElementType; /* not called */
    const void *SetDimensions; /* not called */
    OrtStatus *(*GetTensorElementType)(const OrtTensorTypeAndShapeInfo *info, ONNXTensorElementDataType *out);
    OrtStatus *(*GetDimensionsCount)(const OrtTensorTypeAndShapeInfo *info, size_t *out);
    OrtStatus *(*GetDimensions)(const OrtTensorTypeAndShapeInfo *info, int64_t *dim_values, size_t dim_values_length);
    OrtStatus *(*GetSymbolicDimensions)(const OrtTensorTypeAndShapeInfo *info, const char **dim_params, size_t dim_params_length);
    OrtStatus *(*GetTensorShapeElementCount)(const OrtTensorTypeAndShapeInfo *info, size_t *out);
    OrtStatus *(*GetTensorTypeAndShape)(const OrtValue *value, OrtTensorTypeAndShapeInfo **out);
    const void *GetTypeInfo; /* not called */
    const void *GetValueType; /* not called */
    const void *CreateMemoryInfo; /* not called */
    OrtStatus *(*CreateCpuMemoryInfo)(OrtAllocatorType type, OrtMemType mem_type, OrtMemoryInfo **out);
    const void *CompareMemoryInfo; /* not called */
    const void *MemoryInfoGetName; /* not called */
    const void *MemoryInfoGetId; /* not called */
    const void *MemoryInfoGetMemType; /* not called */
    const void *MemoryInfoGetType; /* not called */
    const void *AllocatorAlloc; /* not called */
    OrtStatus *(*AllocatorFree)(OrtAllocator *allocator, void *p);
    const void *AllocatorGetInfo; /* not called */
    OrtStatus *(*GetAllocatorWithDefaultOptions)(OrtAllocator **out);
    const void *AddFreeDimensionOverride; /* not called */
    const void *GetValue; /* not called */
    const void *GetValueCount; /* not called */
    const void *CreateValue; /* not called */
    const void *CreateOpaqueValue; /* not called */
    const void *GetOpaqueValue; /* not called */
    const void *KernelInfoGetAttribute_float; /* not called */
    const void *KernelInfoGetAttribute_int64; /* not called */
    const void *KernelInfoGetAttribute_string; /* not called */
    const void *KernelContext_GetInputCount; /* not called */
    const void *KernelContext_GetOutputCount; /* not called */
    const void *KernelContext_GetInput; /* not called */
    const void *KernelContext_GetOutput; /* not called */
    void (*ReleaseEnv)(OrtEnv *input);
    void (*ReleaseStatus)(OrtStatus *input);
    void (*ReleaseMemoryInfo)(OrtMemoryInfo *input);
    void (*ReleaseSession)(OrtSession *input);
    void (*ReleaseValue)(OrtValue *input);
    const void *ReleaseRunOptions; /* not called */
    void (*ReleaseTypeInfo)(OrtTypeInfo *input);
    void (*ReleaseTensorTypeAndShapeInfo)(OrtTensorTypeAndShapeInfo *input);
    void (*ReleaseSessionOptions)(OrtSessionOptions *input);
    const void *ReleaseCustomOpDomain; /* not called */
    const void *GetDenotationFromTypeInfo; /* not called */
    const void *CastTypeInfoToMapTypeInfo; /* not called */
    const void *CastTypeInfoToSequenceTypeInfo; /* not called */
    const void *GetMapKeyType; /* not called */
    const void *GetMapValueType; /* not called */
    const void *GetSequenceElementType; /* not called */
    const void *ReleaseMapTypeInfo; /* not called */
    const void *ReleaseSequenceTypeInfo; /* not called */
    const void *SessionEndProfiling; /* not called */
    const void *SessionGetModelMetadata; /* not called */
    const void *ModelMetadataGetProducerName; /* not called */
    const void *ModelMetadataGetGraphName; /* not called */
    const void *ModelMetadataGetDomain; /* not called */
    const void *ModelMetadataGetDescription; /* not called */
    const void *ModelMetadataLookupCustomMetadataMap; /* not called */
    const void *ModelMetadataGetVersion; /* not called */
    const void *ReleaseModelMetadata; /* not called */
    const void *CreateEnvWithGlobalThreadPools; /* not called */
    const void *DisablePerSessionThreads; /* not called */
    const void *CreateThreadingOptions; /* not called */
    const void *ReleaseThreadingOptions; /* not called */
    const void *ModelMetadataGetCustomMetadataMapKeys; /* not called */
    const void *AddFreeDimensionOverrideByName; /* not called */
    OrtStatus *(*GetAvailableProviders)(char ***out_ptr, int *provider_length);
    OrtStatus *(*ReleaseAvailableProviders)(char **ptr, int providers_length);
    const void *GetStringTensorElementLength; /* not called */
    const void *GetStringTensorElement; /* not called */
    const void *FillStringTensorElement; /* not called */
    OrtStatus *(*AddSessionConfigEntry)(OrtSessionOptions *options, const char *config_key, const char *config_value);
    const void *CreateAllocator; /* not called */
    const void *ReleaseAllocator; /* not called */
    const void *RunWithBinding; /* not called */
    const void *CreateIoBinding; /* not called */
    const void *ReleaseIoBinding; /* not called */
    const void *BindInput; /* not called */
    const void *BindOutput; /* not called */
    const void *BindOutputToDevice; /* not called */
    const void *GetBoundOutputNames; /* not called */
    const void *GetBoundOutputValues; /* not called */
    const void *ClearBoundInputs; /* not called */
    const void *ClearBoundOutputs; /* not called */
    const void *TensorAt; /* not called */
    const void *CreateAndRegisterAllocator; /* not called */
    const void *SetLanguageProjection; /* not called */
    const void *SessionGetProfilingStartTimeNs; /* not called */
    const void *SetGlobalIntraOpNumThreads; /* not called */
    const void *SetGlobalInterOpNumThreads; /* not called */
    const void *SetGlobalSpinControl; /* not called */
    const void *AddInitializer; /* not called */
    const void *CreateEnvWithCustomLoggerAndGlobalThreadPools; /* not called */
    OrtStatus *(*SessionOptionsAppendExecutionProvider_CUDA)(OrtSessionOptions *options, const OrtCUDAProviderOptions *cuda_options);
} OrtApi;

typedef struct OrtApiBase {
    const OrtApi *(*GetApi)(uint32_t version);
    const char *(*GetVersionString)(void);
} OrtApiBase;

/// Type of the library's only exported entry point, looked up with dlsym.
typedef const OrtApiBase *(*OrtGetApiBaseFunction)(void);

#endif
