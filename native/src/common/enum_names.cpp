#include "enum_names.h"

#include "reweigh/reweigh.h"

namespace reweigh {

const char* dtype_name(int32_t dtype) {
    switch (dtype) {
        case REWEIGH_DTYPE_F32: return "F32";
        case REWEIGH_DTYPE_BF16: return "BF16";
        case REWEIGH_DTYPE_F16: return "F16";
        case REWEIGH_DTYPE_I32: return "I32";
        case REWEIGH_DTYPE_I64: return "I64";
        default: return "unknown";
    }
}

const char* normalization_name(int32_t normalization) {
    switch (normalization) {
        case REWEIGH_NORMALIZATION_WEIGHT_SUM: return "WEIGHT_SUM";
        case REWEIGH_NORMALIZATION_TOKENS: return "TOKENS";
        case REWEIGH_NORMALIZATION_SAMPLES: return "SAMPLES";
        case REWEIGH_NORMALIZATION_NONE: return "NONE";
        case REWEIGH_NORMALIZATION_EXPLICIT: return "EXPLICIT";
        default: return "unknown";
    }
}

}  // namespace reweigh
