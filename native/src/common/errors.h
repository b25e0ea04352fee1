/*
 * errors.h: how failures travel inside the library and out through the ABI.
 *
 * Inside, code throws reweigh::Error (via REWEIGH_FAIL / REWEIGH_CHECK_ARG).
 * At the ABI boundary every entry point runs its body through guarded(), which
 * catches everything, stores the message in a fixed thread-local buffer (so
 * recording an error never allocates and survives bad_alloc) and returns a
 * status code. Nothing is ever thrown across reweigh.h, nothing aborts.
 */
#ifndef REWEIGH_COMMON_ERRORS_H
#define REWEIGH_COMMON_ERRORS_H

#include <exception>
#include <new>

#include "reweigh/reweigh.h"

namespace reweigh {

class Error : public std::exception {
public:
    Error(reweigh_status_t status, const char* message);
    reweigh_status_t status() const { return status_; }
    const char* what() const noexcept override { return message_; }

private:
    reweigh_status_t status_;
    char message_[1024];
};

/* printf-style; appends " [file:line]". Never returns. */
[[noreturn]] void fail(reweigh_status_t status, const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define REWEIGH_FAIL(status, ...) ::reweigh::fail((status), __FILE__, __LINE__, __VA_ARGS__)
#define REWEIGH_CHECK_ARG(cond, ...)                                             \
    do {                                                                         \
        if (!(cond)) REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT, __VA_ARGS__); \
    } while (0)

void clear_last_error();
void set_last_error(const char* message);

/* Run body() at the ABI boundary; turn every exception into a status. */
template <class Body>
reweigh_status_t guarded(Body&& body) noexcept {
    clear_last_error();
    try {
        body();
        return REWEIGH_STATUS_OK;
    } catch (const Error& e) {
        set_last_error(e.what());
        return e.status();
    } catch (const std::bad_alloc&) {
        set_last_error("out of host memory");
        return REWEIGH_STATUS_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        set_last_error(e.what());
        return REWEIGH_STATUS_INTERNAL;
    } catch (...) {
        set_last_error("unknown C++ exception");
        return REWEIGH_STATUS_INTERNAL;
    }
}

}  // namespace reweigh

#endif
