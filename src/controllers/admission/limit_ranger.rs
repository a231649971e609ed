//! The **LimitRanger** admission plugin, after `plugin/pkg/admission/limitranger/admission.go`
//! (kube-apiserver v1.35), for pod creation.
//!
//! - Mutating half (`default_pod`, upstream `PodMutateLimitFunc`): every LimitRange of the pod's
//!   namespace, in the order given to [`super::AdmissionChain::new`], fills missing limits from
//!   `default` and missing requests from `defaultRequest` of its `Container` item, for regular and
//!   init containers. A resource already set keeps its value, so the first LimitRange that
//!   defaults a resource wins.
//! - Validating half (`validate_pod`, upstream `PodValidateLimitFunc`): each LimitRange in turn
//!   checks `min`, `max` and `maxLimitRequestRatio` per container (`Container` items) and on the
//!   pod's aggregate (`Pod` items); the first LimitRange with violations rejects the pod with all
//!   of its messages.
//!
//! Upstream walks Go maps (random order) when it collects messages; capsim walks resources in name
//! order, so one message comes out every time.

use std::collections::BTreeSet;

use super::pod_resources::{aggregate, has_limit, has_request, limit_map, request_map};
use super::{Rejection, aggregate_messages};
use crate::api::quantity::{format_quantity, format_ratio, is_milli_resource};
use crate::model::pod::{Container, Pod};
use crate::model::policy::{LimitRange, LimitRangeItem, LimitType, ResourceMap};
use crate::model::resources::{CPU, MEMORY};

/// Upstream `resource.MaxMilliValue` (`MaxInt64 / 1000`): the largest whole value whose
/// thousandths still fit an `int64`.
const MAX_MILLI_VALUE: i64 = i64::MAX / 1000;

/// Upstream `Value()` and `MilliValue()` of an amount of resource `name` held in capsim units.
fn value_and_milli(name: &str, v: i64) -> (i64, i64) {
    if is_milli_resource(name) { (ceil_div_1000(v), v) } else { (v, v.saturating_mul(1000)) }
}

/// `⌈v / 1000⌉` for non-negative `v` (and a plain division otherwise).
fn ceil_div_1000(v: i64) -> i64 {
    if v > 0 { (v - 1) / 1000 + 1 } else { v / 1000 }
}

/// LimitRanger's pod aggregate (its local `podRequests` / `podLimits`): the sidecar formula over
/// containers without overhead, with pod-level cpu and memory (only those two) replacing the
/// aggregate.
fn limit_ranger_pod_totals(pod: &Pod, limits: bool) -> ResourceMap {
    let (mut total, pod_level) = if limits {
        (aggregate(pod, limit_map), &pod.pod_level_limits)
    } else {
        (aggregate(pod, request_map), &pod.pod_level_requests)
    };
    for (k, v) in pod_level.iter().filter(|(k, _)| *k == CPU || *k == MEMORY) {
        total.insert(k.clone(), *v);
    }
    total
}

/// Upstream `requestLimitEnforcedValues`: request and limit (absent = 0) at a common precision,
/// thousandths when the request, the limit and the enforced value (whole units `enforced_value`)
/// all stay within `MaxMilliValue`, whole units otherwise.
fn common_precision(name: &str, req: i64, lim: i64, enforced_value: i64) -> (i64, i64, bool) {
    let (rv, rm) = value_and_milli(name, req);
    let (lv, lm) = value_and_milli(name, lim);
    if rv <= MAX_MILLI_VALUE && lv <= MAX_MILLI_VALUE && enforced_value <= MAX_MILLI_VALUE {
        (rm, lm, true)
    } else {
        (rv, lv, false)
    }
}

/// `minConstraint`: a request must be listed and ≥ `min`; a listed limit must be ≥ `min`.
fn min_constraint(kind: &str, name: &str, min: i64, req: &ResourceMap, lim: &ResourceMap) -> Option<String> {
    let shown = format_quantity(name, min);
    let Some(&r) = req.get(name) else {
        return Some(format!("minimum {name} usage per {kind} is {shown}.  No request is specified"));
    };
    if r < min {
        return Some(format!(
            "minimum {name} usage per {kind} is {shown}, but request is {}",
            format_quantity(name, r)
        ));
    }
    match lim.get(name) {
        Some(&l) if l < min => Some(format!(
            "minimum {name} usage per {kind} is {shown}, but limit is {}",
            format_quantity(name, l)
        )),
        _ => None,
    }
}

/// `maxConstraint`: a limit must be listed and ≤ `max`; a listed request must be ≤ `max`.
fn max_constraint(kind: &str, name: &str, max: i64, req: &ResourceMap, lim: &ResourceMap) -> Option<String> {
    let shown = format_quantity(name, max);
    let Some(&l) = lim.get(name) else {
        return Some(format!("maximum {name} usage per {kind} is {shown}.  No limit is specified"));
    };
    if l > max {
        return Some(format!(
            "maximum {name} usage per {kind} is {shown}, but limit is {}",
            format_quantity(name, l)
        ));
    }
    match req.get(name) {
        Some(&r) if r > max => Some(format!(
            "maximum {name} usage per {kind} is {shown}, but request is {}",
            format_quantity(name, r)
        )),
        _ => None,
    }
}

/// `limitRequestRatioConstraint`, with upstream's float arithmetic so borderline ratios decide
/// as upstream decides: limit ÷ request (both listed and non-zero) × 1000 must not exceed the
/// ratio's thousandths. The observed ratio prints with six decimals (`%f`).
fn ratio_constraint(
    kind: &str,
    name: &str,
    ratio_milli: i64,
    req: &ResourceMap,
    lim: &ResourceMap,
) -> Option<String> {
    let shown = format_ratio(ratio_milli);
    let ratio_value = ceil_div_1000(ratio_milli);
    let (r, l) = (req.get(name).copied(), lim.get(name).copied());
    let (rv, lv, _) = common_precision(name, r.unwrap_or(0), l.unwrap_or(0), ratio_value);
    if r.is_none() || rv == 0 {
        return Some(format!(
            "{name} max limit to request ratio per {kind} is {shown}, but no request is specified or request is 0"
        ));
    }
    if l.is_none() || lv == 0 {
        return Some(format!(
            "{name} max limit to request ratio per {kind} is {shown}, but no limit is specified or limit is 0"
        ));
    }
    let observed = lv as f64 / rv as f64;
    let (compared, allowed) = if ratio_value <= MAX_MILLI_VALUE {
        (observed * 1000.0, ratio_milli as f64)
    } else {
        (observed, ratio_value as f64)
    };
    (compared > allowed).then(|| {
        format!(
            "{name} max limit to request ratio per {kind} is {shown}, but provided ratio is {observed:.6}"
        )
    })
}

/// Every violation of `item`'s min / max / ratio by one set of requests and limits, in upstream's
/// order (min, then max, then ratio; resources in name order within each).
fn item_violations(item: &LimitRangeItem, req: &ResourceMap, lim: &ResourceMap, out: &mut Vec<String>) {
    let kind = item.limit_type.as_str();
    out.extend(item.min.iter().filter_map(|(n, v)| min_constraint(kind, n, *v, req, lim)));
    out.extend(item.max.iter().filter_map(|(n, v)| max_constraint(kind, n, *v, req, lim)));
    out.extend(
        item.max_limit_request_ratio.iter().filter_map(|(n, v)| ratio_constraint(kind, n, *v, req, lim)),
    );
}

/// LimitRanger's validation of `pod` against one LimitRange (upstream `PodValidateLimitFunc`):
/// `Container` items check every regular container and then every init container; `Pod` items
/// check the pod aggregate ([`limit_ranger_pod_totals`]).
fn limit_range_violations(lr: &LimitRange, pod: &Pod) -> Vec<String> {
    let mut out = Vec::new();
    for item in &lr.items {
        match item.limit_type {
            LimitType::Container => {
                for c in pod.containers.iter().chain(&pod.init_containers) {
                    item_violations(item, &request_map(c), &limit_map(c), &mut out);
                }
            }
            LimitType::Pod => {
                let req = limit_ranger_pod_totals(pod, false);
                let lim = limit_ranger_pod_totals(pod, true);
                item_violations(item, &req, &lim, &mut out);
            }
            LimitType::PersistentVolumeClaim => {}
        }
    }
    out
}

/// Applies one LimitRange's container defaults to `c` (upstream `mergeContainerResources`) and
/// returns the names of the resources it set (request or limit).
fn merge_container_defaults(c: &mut Container, limits: &ResourceMap, requests: &ResourceMap) -> Vec<String> {
    let mut set = Vec::new();
    for (name, v) in limits {
        if !has_limit(c, name) {
            c.limits.set(name, *v);
            set.push(name.clone());
        }
    }
    for (name, v) in requests {
        if !has_request(c, name) {
            c.requests.set(name, *v);
            match name.as_str() {
                CPU => c.has_cpu_request = true,
                MEMORY => c.has_memory_request = true,
                _ => {}
            }
            set.push(name.clone());
        }
    }
    set
}

/// The mutating half: applies the container defaults of every LimitRange in `ranges` (those of
/// the pod's namespace, in order) to `pod` (upstream `defaultContainerResourceRequirements` and
/// `mergeContainerResources`). Returns, per container (regular ones first, then init containers),
/// the names of the resources it set, and whether it set any.
pub(super) fn default_pod(ranges: &[&LimitRange], pod: &mut Pod) -> (Vec<BTreeSet<String>>, bool) {
    let count = pod.containers.len() + pod.init_containers.len();
    let mut defaulted: Vec<BTreeSet<String>> = vec![BTreeSet::new(); count];
    let mut changed = false;
    for lr in ranges {
        // Upstream `defaultContainerResourceRequirements`: the Container item's defaults (a
        // later Container item of the same LimitRange would override an earlier one).
        let (mut limits, mut requests) = (ResourceMap::new(), ResourceMap::new());
        for item in lr.items.iter().filter(|i| i.limit_type == LimitType::Container) {
            requests.extend(item.default_request.iter().map(|(k, v)| (k.clone(), *v)));
            limits.extend(item.default.iter().map(|(k, v)| (k.clone(), *v)));
        }
        for (c, set) in pod.containers.iter_mut().chain(pod.init_containers.iter_mut()).zip(&mut defaulted) {
            let names = merge_container_defaults(c, &limits, &requests);
            changed |= !names.is_empty();
            set.extend(names);
        }
    }
    (defaulted, changed)
}

/// The validating half: the first LimitRange of `ranges` that `pod` violates rejects it
/// (`pods "x" is forbidden: maximum cpu usage per Container is 800m, but limit is 1500m`, several
/// messages as `[…, …]`).
pub(super) fn validate_pod(ranges: &[&LimitRange], pod: &Pod) -> Result<(), Rejection> {
    for lr in ranges {
        let violations = limit_range_violations(lr, pod);
        if !violations.is_empty() {
            return Err(Rejection::forbidden("LimitRanger", pod, &aggregate_messages(&violations)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::controllers::admission::AdmissionChain;
    use crate::controllers::admission::test_support::*;
    use crate::model::Resources;
    use crate::model::pod::simple_pod;

    #[test]
    fn memory_defaults_fill_missing_request_and_limit() {
        let mut adm = AdmissionChain::new(vec![limit_range(MEMORY_DEFAULTS)], vec![]);
        let mut p = pod_with("default-mem-demo", &[("{}", "{}")]);
        adm.admit(&mut p).unwrap();
        assert_eq!(p.containers[0].limits.memory, 512 * MI);
        assert_eq!(p.containers[0].requests.memory, 256 * MI);
        assert!(p.containers[0].has_memory_request);
        assert!(!p.containers[0].has_cpu_request);
        // Effective requests were recomputed.
        assert_eq!(p.requests.memory, 268_435_456);
        assert_eq!(p.non_zero_requests.memory, 268_435_456);
    }

    #[test]
    fn limit_without_request_keeps_request_equal_to_its_limit() {
        // Docs "Configure Default Memory Requests and Limits": limit 1Gi, no request → request 1Gi,
        // not the LimitRange's defaultRequest of 256Mi.
        let mut adm = AdmissionChain::new(vec![limit_range(MEMORY_DEFAULTS)], vec![]);
        let mut p = pod_with("default-mem-demo-2", &[("{}", "{memory: 1Gi}")]);
        adm.admit(&mut p).unwrap();
        assert_eq!((p.containers[0].requests.memory, p.containers[0].limits.memory), (GI, GI));

        // The same holds for a pod built in code whose request was never defaulted.
        let mut p = simple_pod("built", Resources::default());
        p.containers[0].limits.memory = GI;
        adm.admit(&mut p).unwrap();
        assert_eq!((p.containers[0].requests.memory, p.requests.memory), (GI, GI));
    }

    #[test]
    fn request_without_limit_gets_the_default_limit() {
        let mut adm = AdmissionChain::new(vec![limit_range(MEMORY_DEFAULTS)], vec![]);
        let mut p = pod_with("default-mem-demo-3", &[("{memory: 128Mi}", "{}")]);
        adm.admit(&mut p).unwrap();
        assert_eq!((p.containers[0].requests.memory, p.containers[0].limits.memory), (128 * MI, 512 * MI));
    }

    #[test]
    fn cpu_defaults_written_as_bare_numbers() {
        let mut adm = AdmissionChain::new(vec![limit_range(CPU_DEFAULTS)], vec![]);
        let mut p = pod_with("default-cpu-demo", &[("{}", "{}")]);
        adm.admit(&mut p).unwrap();
        assert_eq!(container_values(&p, 0), (500, 0, 1000, 0));
        assert_eq!(p.requests.milli_cpu, 500);
        assert!(p.containers[0].has_cpu_request);
    }

    #[test]
    fn limit_range_pod_1_gets_the_documented_defaults() {
        let mut adm = AdmissionChain::new(vec![limit_range(LIMIT_MEM_CPU_CONTAINER)], vec![]);
        let mut p = pod(LIMIT_RANGE_POD_1);
        adm.admit(&mut p).unwrap();
        assert_eq!(container_values(&p, 0), (100, 100 * MI, 500, 200 * MI));
        assert_eq!(container_values(&p, 1), (100, 100 * MI, 700, 900 * MI));
        assert_eq!(container_values(&p, 2), (500, 200 * MI, 500, 200 * MI));
        assert_eq!(container_values(&p, 3), (110, 111 * MI, 700, 900 * MI));
        assert_eq!(p.requests.milli_cpu, 100 + 100 + 500 + 110);
        assert_eq!(p.requests.memory, (100 + 100 + 200 + 111) * MI);
    }

    #[test]
    fn cpu_constraints_derive_defaults_from_max() {
        let mut adm = AdmissionChain::new(vec![limit_range(CPU_CONSTRAINTS)], vec![]);
        let mut p = pod_with("constraints-cpu-demo-4", &[("{}", "{}")]);
        adm.admit(&mut p).unwrap();
        assert_eq!((p.containers[0].requests.milli_cpu, p.containers[0].limits.milli_cpu), (800, 800));
    }

    #[test]
    fn container_above_max_is_forbidden_with_upstream_message() {
        let mut adm = AdmissionChain::new(vec![limit_range(CPU_CONSTRAINTS)], vec![]);
        let mut p = pod_with("constraints-cpu-demo-2", &[("{cpu: 500m}", "{cpu: '1.5'}")]);
        let err = adm.admit(&mut p).unwrap_err();
        assert_eq!(err.reason, "Forbidden");
        assert_eq!(
            err.message,
            "pods \"constraints-cpu-demo-2\" is forbidden: maximum cpu usage per Container is 800m, but limit is 1500m"
        );
        let mut p = pod_with("constraints-cpu-demo-3", &[("{cpu: 100m}", "{cpu: 800m}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"constraints-cpu-demo-3\" is forbidden: minimum cpu usage per Container is 200m, but request is 100m"
        );
    }

    #[test]
    fn several_violations_are_listed_in_brackets() {
        let mut adm = AdmissionChain::new(vec![limit_range(LIMIT_MEM_CPU_CONTAINER)], vec![]);
        let mut p = pod_with("big-small", &[("{cpu: 50m, memory: 50Mi}", "{cpu: '2', memory: 2Gi}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"big-small\" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m, \
             minimum memory usage per Container is 99Mi, but request is 50Mi, \
             maximum cpu usage per Container is 800m, but limit is 2, \
             maximum memory usage per Container is 1Gi, but limit is 2Gi]"
        );
        // Two containers breaking the same rule the same way give one message (no brackets).
        let mut p = pod_with("twins", &[("{cpu: 50m}", "{cpu: 500m}"), ("{cpu: 50m}", "{cpu: 500m}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"twins\" is forbidden: minimum cpu usage per Container is 100m, but request is 50m"
        );
    }

    #[test]
    fn pod_type_limits_apply_to_container_sums() {
        let mut adm = AdmissionChain::new(vec![limit_range(LIMIT_MEM_CPU_POD)], vec![]);
        // Each container is within 2 cpu / 2Gi, their sum is not.
        let mut p = pod_with(
            "two-big",
            &[
                ("{cpu: 1, memory: 1Gi}", "{cpu: 1500m, memory: 1Gi}"),
                ("{cpu: 1, memory: 1Gi}", "{cpu: 1500m, memory: 1Gi}"),
            ],
        );
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"two-big\" is forbidden: maximum cpu usage per Pod is 2, but limit is 3"
        );
        let mut p = pod_with("fits", &[("{cpu: 1, memory: 1Gi}", "{cpu: 1, memory: 1Gi}"); 2]);
        assert!(adm.admit(&mut p).is_ok());
        // No container sets a limit: the pod has none either.
        let mut p = pod_with("no-limits", &[("{cpu: 100m}", "{}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"no-limits\" is forbidden: [maximum cpu usage per Pod is 2.  No limit is specified, \
             maximum memory usage per Pod is 2Gi.  No limit is specified]"
        );
    }

    /// `PodValidateLimitFunc` with PodLevelResources on: `Pod` items read the pod-level cpu and
    /// memory in place of the container sums; `Container` items still read each container.
    #[test]
    fn pod_type_limits_read_pod_level_resources() {
        let mut adm = AdmissionChain::new(vec![limit_range(LIMIT_MEM_CPU_POD)], vec![]);
        let with = |name: &str, resources: &str| {
            pod(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  resources: {resources}\n  containers:\n  - {{name: a, image: nginx, resources: {{requests: {{cpu: 500m}}}}}}\n  - {{name: b, image: nginx, resources: {{requests: {{cpu: 500m}}}}}}\n"
            ))
        };
        // No container has a limit, the pod level has them: within 2 cpu / 2Gi.
        let mut p = with("fits", "{limits: {cpu: 1500m, memory: 1Gi}}");
        adm.admit(&mut p).unwrap();
        let mut p = with("too-big", "{limits: {cpu: 3, memory: 1Gi}}");
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"too-big\" is forbidden: maximum cpu usage per Pod is 2, but limit is 3"
        );
        // Without pod-level limits the containers' (absent) limits are summed.
        let mut p = with("none", "{}");
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"none\" is forbidden: [maximum cpu usage per Pod is 2.  No limit is specified, \
             maximum memory usage per Pod is 2Gi.  No limit is specified]"
        );
        // Container items ignore the pod level: each container still needs its own limit.
        let mut adm = AdmissionChain::new(
            vec![limit_range(
                "{apiVersion: v1, kind: LimitRange, metadata: {name: c}, spec: {limits: [{max: {cpu: 800m}, default: {cpu: 100m}, type: Container}]}}",
            )],
            vec![],
        );
        let mut p = with("defaulted", "{limits: {cpu: 1, memory: 1Gi}}");
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "Pod \"defaulted\" is invalid: [spec.containers[0].resources.requests: Invalid value: \"500m\": must be \
             less than or equal to cpu limit of 100m, spec.containers[1].resources.requests: Invalid value: \"500m\": \
             must be less than or equal to cpu limit of 100m]"
        );
    }

    #[test]
    fn pod_type_sums_follow_the_sidecar_formula() {
        // Two containers of 800m, a plain init container of 1500m: aggregate max(1600m, 1500m).
        let lr = limit_range(
            "{apiVersion: v1, kind: LimitRange, metadata: {name: pod-min}, spec: {limits: [{min: {cpu: 1700m}, type: Pod}]}}",
        );
        let mut adm = AdmissionChain::new(vec![lr], vec![]);
        let mut p = pod_with("init", &[("{cpu: 800m}", "{}"), ("{cpu: 800m}", "{}")]);
        let mut init = p.containers[0].clone();
        init.requests.milli_cpu = 1500;
        p.init_containers.push(init.clone());
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"init\" is forbidden: minimum cpu usage per Pod is 1700m, but request is 1600m"
        );
        // As a sidecar it runs alongside: 800m + 800m + 1500m.
        init.restart_always = true;
        p.init_containers = vec![init];
        assert!(adm.admit(&mut p).is_ok());
    }

    #[test]
    fn memory_ratio_per_pod() {
        let mut adm = AdmissionChain::new(vec![limit_range(LIMIT_MEMORY_RATIO_POD)], vec![]);
        let mut p = pod_with("ratio-3", &[("{memory: 100Mi}", "{memory: 300Mi}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"ratio-3\" is forbidden: memory max limit to request ratio per Pod is 2, but provided ratio is 3.000000"
        );
        // Exactly 2 is allowed.
        let mut p = pod_with("ratio-2", &[("{memory: 100Mi}", "{memory: 200Mi}")]);
        assert!(adm.admit(&mut p).is_ok());
        // No memory at all: no request to divide by.
        let mut p = pod_with("none", &[("{cpu: 1}", "{}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"none\" is forbidden: memory max limit to request ratio per Pod is 2, but no request is \
             specified or request is 0"
        );
    }

    #[test]
    fn container_ratio_in_thousandths() {
        let lr = limit_range(
            "{apiVersion: v1, kind: LimitRange, metadata: {name: r}, spec: {limits: [{maxLimitRequestRatio: {cpu: '1.5'}, type: Container}]}}",
        );
        assert_eq!(lr.items[0].max_limit_request_ratio, amounts(&[("cpu", 1500)]));
        let mut adm = AdmissionChain::new(vec![lr], vec![]);
        let mut p = pod_with("burst", &[("{cpu: 300m}", "{cpu: 500m}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"burst\" is forbidden: cpu max limit to request ratio per Container is 1500m, but provided ratio \
             is 1.666667"
        );
        let mut p = pod_with("ok", &[("{cpu: 400m}", "{cpu: 600m}")]);
        assert!(adm.admit(&mut p).is_ok());
    }

    #[test]
    fn limit_ranges_apply_only_in_their_namespace_and_the_first_default_wins() {
        let mut other = limit_range(MEMORY_DEFAULTS);
        other.namespace = "other".into();
        let first = limit_range(
            "{apiVersion: v1, kind: LimitRange, metadata: {name: first}, spec: {limits: [{default: {memory: 1Gi}, type: Container}]}}",
        );
        let mut adm = AdmissionChain::new(vec![other, first, limit_range(MEMORY_DEFAULTS)], vec![]);
        let mut p = pod_with("p", &[("{}", "{}")]);
        adm.admit(&mut p).unwrap();
        // `first` set the limit (and, through its own defaulting, the request); the later range
        // finds both set.
        assert_eq!((p.containers[0].requests.memory, p.containers[0].limits.memory), (GI, GI));
    }
}
