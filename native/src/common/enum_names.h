/*
 * enum_names.h: printable names of the ABI enums, for error messages of every
 * backend (a message names the option the caller set, e.g. "WEIGHT_SUM").
 */
#ifndef REWEIGH_COMMON_ENUM_NAMES_H
#define REWEIGH_COMMON_ENUM_NAMES_H

#include <stdint.h>

namespace reweigh {

const char* dtype_name(int32_t dtype);
const char* normalization_name(int32_t normalization);

}  // namespace reweigh

#endif
