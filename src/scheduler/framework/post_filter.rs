//! PostFilter of a cycle (upstream `RunPostFilterPlugins`, called from `schedulePod`'s caller
//! after a FitError), split from [`super::runner`].

use rand::Rng;

use super::profile::Profile;
use super::runner::{CycleOptions, CycleResult, FitError, TieBreak};
use super::{Code, CycleState, PostFilterInput, PostFilterResult, Status};
use crate::model::{Cluster, Pod};

/// Upstream `RunPostFilterPlugins` after a FitError: runs the profile's PostFilter plugins in
/// order, stopping at the first Success, UnschedulableAndUnresolvable or error; otherwise the
/// Unschedulable reasons of all plugins are combined (the last meaningful nomination kept, the
/// first rejecting plugin named). The verdict goes to `result.post_filter` and its message is
/// appended to the FitError message after a space (upstream `Diagnosis.PostFilterMsg`).
#[allow(clippy::too_many_arguments)]
pub(super) fn post_filter(
    profile: &Profile,
    cs: &CycleState,
    pod: &Pod,
    cluster: &Cluster,
    rng: &mut impl Rng,
    opts: CycleOptions,
    result: &mut CycleResult,
    fit: &mut FitError,
) {
    if profile.post_filter.is_empty() {
        return;
    }
    let seed = match opts.tie_break {
        TieBreak::Random => Some(rng.next_u64()),
        TieBreak::FirstNode => None,
    };
    let input = PostFilterInput {
        profile,
        node_statuses: &result.rejected,
        nominated_node: opts.nominated_node,
        seed,
    };
    let mut verdict: Option<PostFilterResult> = None;
    let mut kept: Option<PostFilterResult> = None;
    let mut reasons = Vec::new();
    let mut rejector: &'static str = "";
    for p in &profile.post_filter {
        let pf = p.as_post_filter().expect("profile lists only PostFilter plugins here");
        let t = super::timing::enabled().then(std::time::Instant::now);
        let r = pf.post_filter(cs, pod, cluster, &input);
        if let Some(t) = t {
            super::timing::add("PostFilter", p.name(), t.elapsed());
        }
        match r.status.code {
            Code::Success | Code::UnschedulableAndUnresolvable => {
                let status = r.status.clone().with_plugin(p.name());
                verdict = Some(PostFilterResult { status, ..r });
                break;
            }
            Code::Unschedulable => {
                reasons.extend(r.status.reasons.iter().cloned());
                if rejector.is_empty() {
                    rejector = p.name();
                }
                if r.nominated_node.is_some() || r.clear_nomination {
                    kept = Some(r);
                }
            }
            Code::Error | Code::Skip => {
                let status = Status::error(r.status.message()).with_plugin(p.name());
                verdict = Some(PostFilterResult::noop(status));
                break;
            }
        }
    }
    let verdict = verdict.unwrap_or_else(|| {
        let status = Status { code: Code::Unschedulable, reasons: reasons.into(), plugin: rejector };
        match kept {
            Some(r) => PostFilterResult { status, ..r },
            None => PostFilterResult::noop(status),
        }
    });
    let msg = verdict.message();
    if !msg.is_empty() {
        fit.message = format!("{} {msg}", fit.message);
    }
    result.post_filter = Some(verdict);
}
