/*
 * row_drivers.cuh: what the drivers of the per-row entry points
 * (ce_cuda_token.cu: reweigh_ce_backward_rows; ce_cuda_policy.cu:
 * reweigh_policy_forward_backward) share beyond ce.cuh.
 */
#ifndef REWEIGH_CUDA_ROW_DRIVERS_CUH
#define REWEIGH_CUDA_ROW_DRIVERS_CUH

#include "call_scope.cuh"
#include "ce.cuh"

namespace reweigh {
namespace cuda {

/* row_args of the batch writing the gradient `grad`, its row guard recording in `status`, in the call's mode. */
inline RowArgs grad_row_args(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                             const reweigh_ce_grad_t& grad, DeviceStatus* status, bool async) {
    RowArgs a = row_args(b, o, p);
    a.grad = grad.data;
    a.grad_stride = grad.row_stride;
    a.status = status;
    a.async = async;
    return a;
}

/*
 * The end of a per-row driver's validation: the finite-logits scan when
 * options.check_finite asks, then, in synchronous mode, the report of every
 * check (ce.cuh report_status) with the per-row arrays of `extra` (what the
 * message reads back).
 */
inline void finish_validation(const CallScope& call, const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o,
                              DeviceStatus* status, const float* coefficients, const float* row_lse,
                              const ReportInputs& extra) {
    if (o.check_finite) launch_check_finite(b, o.ignore_index, status, call.stream);
    if (!call.settings.async) report_status(b, o, status, coefficients, row_lse, call.stream, &extra);
}

}  // namespace cuda
}  // namespace reweigh

#endif
