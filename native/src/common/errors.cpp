#include "errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

namespace reweigh {
namespace {
/* Fixed size: writing an error must not allocate (liger_cute's detail/status.h). */
thread_local char t_last_error[1024] = {0};

const char* base_name(const char* path) {
    const char* slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}
}  // namespace

Error::Error(reweigh_status_t status, const char* message) : status_(status) {
    snprintf(message_, sizeof message_, "%s", message);
}

void fail(reweigh_status_t status, const char* file, int line, const char* fmt, ...) {
    char text[1024];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    if (n >= 0 && static_cast<size_t>(n) < sizeof text) {
        snprintf(text + n, sizeof text - static_cast<size_t>(n), " [%s:%d]", base_name(file), line);
    }
    throw Error(status, text);
}

void clear_last_error() { t_last_error[0] = '\0'; }

void set_last_error(const char* message) { snprintf(t_last_error, sizeof t_last_error, "%s", message); }

}  // namespace reweigh

extern "C" const char* reweigh_last_error(void) { return reweigh::t_last_error; }
