//! `LimitRange` and `ResourceQuota` objects (core/v1) as written, read from the untyped objects
//! the manifest reader keeps ([`crate::api::objects::KubeObject::Other`]) into the policy model of
//! [`crate::model::policy`], with the API server's defaulting and the parts of its validation that
//! matter for admission (upstream `SetDefaults_LimitRangeItem`, `ValidateLimitRange` and
//! `ValidateResourceQuota`).
//!
//! Quantities may be strings or bare numbers (`cpu: 0.5`). They become integers as everywhere in
//! capsim: cpu (and the `requests.cpu` / `limits.cpu` quota keys) through `MilliValue()`
//! (millicores), every other resource through `Value()` (bytes or units), both rounding up;
//! `maxLimitRequestRatio` through `MilliValue()` for every resource (thousandths). Negative
//! quantities are rejected, as API validation does.
//!
//! Not checked: resource names (any key is accepted), `metadata` beyond name and namespace.

use std::path::Path;

use serde_json::Value;

use super::convert::DEFAULT_NAMESPACE;
use super::quantity::{Quantity, format_quantity, format_ratio, is_milli_resource};
use crate::error::InputError;
use crate::model::policy::{
    LimitRange, LimitRangeItem, LimitType, QuotaScope, ResourceMap, ResourceQuota, ScopeOperator,
    ScopeRequirement,
};

/// Reads a `LimitRange` whose whole object is `value` (from `path`, starting at `line`).
///
/// Reads `metadata.name`, `metadata.namespace` (default `default`) and `spec.limits[]`: `type`
/// (`Container`, `Pod` or `PersistentVolumeClaim`; items of a domain-qualified custom type such as
/// `example.com/gpu` are accepted and dropped, as LimitRanger ignores them), `max`, `min`,
/// `default`, `defaultRequest` and `maxLimitRequestRatio`. `Container` items get the API
/// defaults ([`LimitRangeItem::apply_api_defaults`]: `default` ← `max`, `defaultRequest` ←
/// `default`, else `min`) before validation.
///
/// # Errors
/// [`InputError::Field`] naming the field (e.g. `spec.limits[0].max.cpu`), as API validation
/// (`ValidateLimitRange`) rejects the object: a missing name; a malformed or negative quantity; an
/// unknown type or one used twice; `default` / `defaultRequest` on a `Pod` item; a
/// `PersistentVolumeClaim` item without `min` or `max` storage; and, per resource, `min > max`,
/// `min > defaultRequest`, `defaultRequest > max`, `defaultRequest > default`, `min > default`,
/// `default > max`, a ratio below 1 or above `max / min`, and `default ≠ defaultRequest` for
/// resources that cannot be overcommitted (extended resources, huge pages).
pub fn limit_range_from_value(value: &Value, path: &Path, line: usize) -> Result<LimitRange, InputError> {
    let src = Src { path, line };
    let (namespace, name) = src.metadata(value, "LimitRange")?;
    let limits = match value.pointer("/spec/limits") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(other) => {
            return Err(src.err("spec.limits", format!("expected a list of limit items, found {other}")));
        }
    };
    let mut items: Vec<LimitRangeItem> = Vec::new();
    for (i, raw) in limits.iter().enumerate() {
        let prefix = format!("spec.limits[{i}]");
        if !raw.is_object() {
            return Err(src.err(&prefix, format!("expected a limit item (a map), found {raw}")));
        }
        let type_field = format!("{prefix}.type");
        let limit_type = match raw.get("type") {
            Some(Value::String(t)) if t == "Container" => LimitType::Container,
            Some(Value::String(t)) if t == "Pod" => LimitType::Pod,
            Some(Value::String(t)) if t == "PersistentVolumeClaim" => LimitType::PersistentVolumeClaim,
            Some(Value::String(t)) if is_custom_limit_type(t) => continue,
            Some(Value::String(t)) => {
                return Err(src.err(
                    &type_field,
                    format!(
                        "Invalid value: {t:?}: must be a standard limit type (Container, Pod, \
                         PersistentVolumeClaim) or fully qualified"
                    ),
                ));
            }
            None | Some(Value::Null) => {
                return Err(src.err(
                    &type_field,
                    "Required value: expected Container, Pod or PersistentVolumeClaim".into(),
                ));
            }
            Some(other) => return Err(src.err(&type_field, format!("expected a string, found {other}"))),
        };
        if items.iter().any(|it| it.limit_type == limit_type) {
            return Err(src.err(&type_field, format!("Duplicate value: {:?}", limit_type.as_str())));
        }
        let map = |key: &str, ratio: bool| src.quantity_map(raw.get(key), &format!("{prefix}.{key}"), ratio);
        let mut item = LimitRangeItem::new(limit_type);
        item.max = map("max", false)?;
        item.min = map("min", false)?;
        item.default = map("default", false)?;
        item.default_request = map("defaultRequest", false)?;
        item.max_limit_request_ratio = map("maxLimitRequestRatio", true)?;
        if limit_type == LimitType::Pod {
            for (key, m) in [("default", &item.default), ("defaultRequest", &item.default_request)] {
                if !m.is_empty() {
                    return Err(src.err(
                        &format!("{prefix}.{key}"),
                        "Forbidden: may not be specified when `type` is 'Pod'".into(),
                    ));
                }
            }
        }
        if limit_type == LimitType::PersistentVolumeClaim
            && !item.min.contains_key("storage")
            && !item.max.contains_key("storage")
        {
            return Err(src.err(
                &format!("{prefix}.limits"),
                "Required value: either minimum or maximum storage value is required, but neither was provided"
                    .into(),
            ));
        }
        item.apply_api_defaults();
        validate_item(&src, &item, &prefix)?;
        items.push(item);
    }
    Ok(LimitRange { namespace, name, items, created: Default::default() })
}

/// Reads a `ResourceQuota` whose whole object is `value` (from `path`, starting at `line`).
///
/// Reads `metadata.name`, `metadata.namespace` (default `default`), `spec.hard` (may be absent:
/// a scope-only quota), `spec.scopes` and `spec.scopeSelector.matchExpressions[]` (`scopeName`,
/// `operator`, `values`).
///
/// # Errors
/// [`InputError::Field`] naming the field, as API validation (`ValidateResourceQuota`) rejects
/// the object: a missing name; a malformed or negative quantity in `spec.hard`; an unknown scope;
/// a scope applied to a resource it cannot constrain (`BestEffort` only allows `pods`; the other
/// pod scopes allow `pods` and the cpu/memory keys, not e.g. `requests.ephemeral-storage`);
/// conflicting scopes (`BestEffort` with `NotBestEffort`, `Terminating` with `NotTerminating`);
/// in the scope selector, an unknown operator, an operator other than `Exists` for the
/// non-PriorityClass scopes, `In` / `NotIn` without values, `Exists` / `DoesNotExist` with values.
pub fn resource_quota_from_value(
    value: &Value,
    path: &Path,
    line: usize,
) -> Result<ResourceQuota, InputError> {
    let src = Src { path, line };
    let (namespace, name) = src.metadata(value, "ResourceQuota")?;
    let hard = src.quantity_map(value.pointer("/spec/hard"), "spec.hard", false)?;

    let mut scopes = Vec::new();
    match value.pointer("/spec/scopes") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (i, s) in list.iter().enumerate() {
                let field = format!("spec.scopes[{i}]");
                let scope = match s {
                    Value::String(s) => QuotaScope::parse(s)
                        .ok_or_else(|| src.err(&field, format!("Invalid value: {s:?}: unsupported scope")))?,
                    other => return Err(src.err(&field, format!("expected a scope name, found {other}"))),
                };
                check_scope_resources(&src, scope, &hard, "spec.scopes")?;
                scopes.push(scope);
            }
        }
        Some(other) => {
            return Err(src.err("spec.scopes", format!("expected a list of scopes, found {other}")));
        }
    }
    check_conflicting_scopes(&src, &scopes, "spec.scopes")?;

    let mut scope_selector = Vec::new();
    match value.pointer("/spec/scopeSelector/matchExpressions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (i, raw) in list.iter().enumerate() {
                let prefix = format!("spec.scopeSelector.matchExpressions[{i}]");
                scope_selector.push(scope_requirement(&src, raw, &prefix, &hard)?);
            }
        }
        Some(other) => {
            return Err(src.err(
                "spec.scopeSelector.matchExpressions",
                format!("expected a list of scope selector requirements, found {other}"),
            ));
        }
    }
    let selector_scopes: Vec<QuotaScope> = scope_selector.iter().map(|r| r.scope).collect();
    check_conflicting_scopes(&src, &selector_scopes, "spec.scopeSelector.matchExpressions")?;

    Ok(ResourceQuota { namespace, name, hard, scopes, scope_selector, created: Default::default() })
}

/// Where the object being read comes from, for errors.
struct Src<'a> {
    path: &'a Path,
    line: usize,
}

impl Src<'_> {
    fn err(&self, field: &str, message: String) -> InputError {
        InputError::Field {
            path: self.path.to_path_buf(),
            line: self.line,
            field: field.to_string(),
            message,
        }
    }

    /// `(namespace, name)` from `metadata`; the name is required.
    fn metadata(&self, value: &Value, kind: &str) -> Result<(String, String), InputError> {
        let text = |ptr: &str| value.pointer(ptr).and_then(Value::as_str).unwrap_or("").to_string();
        let name = text("/metadata/name");
        if name.is_empty() {
            return Err(self.err("metadata.name", format!("Required value: a {kind} needs a name")));
        }
        let namespace = Some(text("/metadata/namespace")).filter(|s| !s.is_empty());
        Ok((namespace.unwrap_or_else(|| DEFAULT_NAMESPACE.to_string()), name))
    }

    /// A map of resource names to quantities (absent or null = empty), in capsim units: thousandths
    /// for every entry with `ratio`, else per [`is_milli_resource`].
    fn quantity_map(&self, raw: Option<&Value>, field: &str, ratio: bool) -> Result<ResourceMap, InputError> {
        let entries = match raw {
            None | Some(Value::Null) => return Ok(ResourceMap::new()),
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(
                    self.err(field, format!("expected a map of resource names to quantities, found {other}"))
                );
            }
        };
        let mut out = ResourceMap::new();
        for (name, v) in entries {
            let f = format!("{field}.{name}");
            if name.is_empty() {
                return Err(self.err(field, "a resource name must not be empty".into()));
            }
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => {
                    return Err(self.err(
                        &f,
                        format!("expected a quantity (a string such as \"500m\" or \"2Gi\", or a number), found {other}"),
                    ));
                }
            };
            let q = Quantity::parse(&text).map_err(|e| {
                self.err(
                    &f,
                    format!(
                        "invalid quantity {text:?}: expected a number with an optional suffix \
                         (m, k, M, G, Ki, Mi, Gi, ... or an exponent such as 1e3): {e}"
                    ),
                )
            })?;
            if q.is_negative() {
                return Err(
                    self.err(&f, format!("invalid quantity {text:?}: must be greater than or equal to 0"))
                );
            }
            let amount = if ratio || is_milli_resource(name) { q.milli_value() } else { q.value() };
            out.insert(name.clone(), amount);
        }
        Ok(out)
    }
}

/// Upstream `validateLimitRangeTypeName`: an unknown type is accepted when it is domain-qualified.
fn is_custom_limit_type(t: &str) -> bool {
    t.split_once('/')
        .is_some_and(|(domain, name)| !domain.is_empty() && !name.is_empty() && !name.contains('/'))
}

/// Per-resource consistency of a defaulted item (upstream `ValidateLimitRange`, same checks in
/// the same order; the first failure is reported).
fn validate_item(src: &Src, item: &LimitRangeItem, prefix: &str) -> Result<(), InputError> {
    let mut names: Vec<&String> = item
        .max
        .keys()
        .chain(item.min.keys())
        .chain(item.default.keys())
        .chain(item.default_request.keys())
        .chain(item.max_limit_request_ratio.keys())
        .collect();
    names.sort();
    names.dedup();
    for k in names {
        let (min, max) = (item.min.get(k), item.max.get(k));
        let (default, request) = (item.default.get(k), item.default_request.get(k));
        let ratio = item.max_limit_request_ratio.get(k);
        let q = |v: &i64| format_quantity(k, *v);
        let fail = |key: &str, msg: String| Err(src.err(&format!("{prefix}.{key}.{k}"), msg));
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            return fail("min", format!("min value {} is greater than max value {}", q(min), q(max)));
        }
        if let (Some(request), Some(min)) = (request, min)
            && min > request
        {
            return fail(
                "defaultRequest",
                format!("min value {} is greater than default request value {}", q(min), q(request)),
            );
        }
        if let (Some(request), Some(max)) = (request, max)
            && request > max
        {
            return fail(
                "defaultRequest",
                format!("default request value {} is greater than max value {}", q(request), q(max)),
            );
        }
        if let (Some(request), Some(default)) = (request, default)
            && request > default
        {
            return fail(
                "defaultRequest",
                format!(
                    "default request value {} is greater than default limit value {}",
                    q(request),
                    q(default)
                ),
            );
        }
        if let (Some(default), Some(min)) = (default, min)
            && min > default
        {
            return fail(
                "default",
                format!("min value {} is greater than default value {}", q(min), q(default)),
            );
        }
        if let (Some(default), Some(max)) = (default, max)
            && default > max
        {
            return fail(
                "default",
                format!("default value {} is greater than max value {}", q(default), q(max)),
            );
        }
        if let Some(ratio) = ratio
            && *ratio < 1000
        {
            return fail("maxLimitRequestRatio", format!("ratio {} is less than 1", format_ratio(*ratio)));
        }
        if let (Some(ratio), Some(min), Some(max)) = (ratio, min, max) {
            // Upstream compares in floats: ratio vs max / min.
            let bound = *max as f64 / *min as f64;
            if *ratio as f64 / 1000.0 > bound {
                return fail(
                    "maxLimitRequestRatio",
                    format!("ratio {} is greater than max/min = {bound:.6}", format_ratio(*ratio)),
                );
            }
        }
        let overcommit = (!k.contains('/') || k.contains("kubernetes.io/")) && !k.starts_with("hugepages-");
        if let (Some(default), Some(request)) = (default, request)
            && !overcommit
            && default != request
        {
            return fail(
                "defaultRequest",
                format!(
                    "default value {} must equal to defaultRequest value {} in {k}",
                    q(default),
                    q(request)
                ),
            );
        }
    }
    Ok(())
}

/// Upstream `IsStandardQuotaResourceName` (the names `IsResourceQuotaScopeValidForResource` is
/// asked about).
pub(crate) fn is_standard_quota_resource(name: &str) -> bool {
    const STANDARD: [&str; 19] = [
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.storage",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "persistentvolumeclaims",
        "configmaps",
        "services.nodeports",
        "services.loadbalancers",
    ];
    STANDARD.contains(&name) || name.starts_with("hugepages-") || name.starts_with("requests.hugepages-")
}

/// Upstream `IsResourceQuotaScopeValidForResource`.
fn scope_allows(scope: QuotaScope, resource: &str) -> bool {
    const COMPUTE: [&str; 6] =
        ["cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu", "requests.memory"];
    match scope {
        QuotaScope::BestEffort => resource == "pods",
        _ => resource == "pods" || COMPUTE.contains(&resource),
    }
}

/// Rejects a scope that cannot constrain one of the quota's standard resources.
fn check_scope_resources(
    src: &Src,
    scope: QuotaScope,
    hard: &ResourceMap,
    field: &str,
) -> Result<(), InputError> {
    match hard.keys().find(|k| is_standard_quota_resource(k) && !scope_allows(scope, k)) {
        Some(k) => Err(src.err(
            field,
            format!(
                "Invalid value: unsupported scope applied to resource: scope {} cannot limit {k}",
                scope.as_str()
            ),
        )),
        None => Ok(()),
    }
}

/// Rejects `BestEffort` with `NotBestEffort`, and `Terminating` with `NotTerminating`.
fn check_conflicting_scopes(src: &Src, scopes: &[QuotaScope], field: &str) -> Result<(), InputError> {
    for (a, b) in [
        (QuotaScope::BestEffort, QuotaScope::NotBestEffort),
        (QuotaScope::Terminating, QuotaScope::NotTerminating),
    ] {
        if scopes.contains(&a) && scopes.contains(&b) {
            return Err(src.err(
                field,
                format!("Invalid value: conflicting scopes: {} and {}", a.as_str(), b.as_str()),
            ));
        }
    }
    Ok(())
}

/// One `scopeSelector.matchExpressions[]` entry, validated.
fn scope_requirement(
    src: &Src,
    raw: &Value,
    prefix: &str,
    hard: &ResourceMap,
) -> Result<ScopeRequirement, InputError> {
    if !raw.is_object() {
        return Err(src.err(prefix, format!("expected a scope selector requirement (a map), found {raw}")));
    }
    let text = |key: &str| -> Result<String, InputError> {
        match raw.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => {
                Err(src.err(&format!("{prefix}.{key}"), format!("expected a string, found {other}")))
            }
        }
    };
    let scope_name = text("scopeName")?;
    let scope = QuotaScope::parse(&scope_name).ok_or_else(|| {
        src.err(&format!("{prefix}.scopeName"), format!("Invalid value: {scope_name:?}: unsupported scope"))
    })?;
    check_scope_resources(src, scope, hard, prefix)?;
    let operator_name = text("operator")?;
    let operator = match operator_name.as_str() {
        "In" => ScopeOperator::In,
        "NotIn" => ScopeOperator::NotIn,
        "Exists" => ScopeOperator::Exists,
        "DoesNotExist" => ScopeOperator::DoesNotExist,
        other => {
            return Err(src.err(
                &format!("{prefix}.operator"),
                format!("Invalid value: {other:?}: not a valid selector operator (In, NotIn, Exists, DoesNotExist)"),
            ));
        }
    };
    if scope != QuotaScope::PriorityClass && operator != ScopeOperator::Exists {
        return Err(src.err(
            &format!("{prefix}.operator"),
            format!(
                "Invalid value: {operator_name:?}: must be 'Exist' when scope is any of \
                 ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, \
                 ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or \
                 ResourceQuotaScopeCrossNamespacePodAffinity"
            ),
        ));
    }
    let values: Vec<String> = match raw.get("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(j, v)| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    src.err(&format!("{prefix}.values[{j}]"), format!("expected a string, found {v}"))
                })
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(
                src.err(&format!("{prefix}.values"), format!("expected a list of strings, found {other}"))
            );
        }
    };
    match operator {
        ScopeOperator::In | ScopeOperator::NotIn if values.is_empty() => Err(src.err(
            &format!("{prefix}.values"),
            "Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"
                .into(),
        )),
        ScopeOperator::Exists | ScopeOperator::DoesNotExist if !values.is_empty() => Err(src.err(
            &format!("{prefix}.values"),
            "Invalid value: must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector".into(),
        )),
        _ => Ok(ScopeRequirement { scope, operator, values }),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::api::objects::KubeObject;
    use crate::api::yaml::objects_from_str;

    const MI: i64 = 1 << 20;
    const GI: i64 = 1 << 30;

    /// The untyped objects of `text` (file `policy.yaml`) with their lines.
    fn values(text: &str) -> Vec<(Value, usize)> {
        objects_from_str(text, Path::new("policy.yaml"))
            .expect("YAML parses")
            .into_iter()
            .map(|o| match o.value {
                KubeObject::Other { value, .. } => (value, o.line),
                other => panic!("unexpected {}", other.kind()),
            })
            .collect()
    }

    fn lr(text: &str) -> Result<LimitRange, InputError> {
        let (v, line) = values(text).remove(0);
        limit_range_from_value(&v, Path::new("policy.yaml"), line)
    }

    fn rq(text: &str) -> Result<ResourceQuota, InputError> {
        let (v, line) = values(text).remove(0);
        resource_quota_from_value(&v, Path::new("policy.yaml"), line)
    }

    fn amounts(pairs: &[(&str, i64)]) -> ResourceMap {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    /// The field and message of an [`InputError::Field`].
    fn field_error(e: InputError) -> (String, String) {
        match e {
            InputError::Field { field, message, .. } => (field, message),
            other => panic!("not a field error: {other}"),
        }
    }

    #[test]
    fn flow_style_cpu_constraints_get_api_defaults() {
        // cpu-constraints.yaml exactly as the website stores it (flow style, trailing commas).
        let text = "---\n{\n  apiVersion: \"v1\",\n  kind: \"LimitRange\",\n  metadata: {\n    name: \"cpu-min-max-demo-lr\",\n  },\n  spec: {\n    limits: [{\n      max: {\n        cpu: \"800m\",\n      },\n      min: {\n        cpu: \"200m\",\n      },\n      type: \"Container\",\n    }],\n  },\n}\n";
        let lr = lr(text).unwrap();
        assert_eq!((lr.namespace.as_str(), lr.name.as_str()), ("default", "cpu-min-max-demo-lr"));
        let item = &lr.items[0];
        assert_eq!(item.limit_type, LimitType::Container);
        assert_eq!((item.min["cpu"], item.max["cpu"]), (200, 800));
        // default ← max, defaultRequest ← default.
        assert_eq!((item.default["cpu"], item.default_request["cpu"]), (800, 800));
    }

    #[test]
    fn bare_numbers_and_binary_suffixes_convert_to_capsim_units() {
        let cpu = lr("{apiVersion: v1, kind: LimitRange, metadata: {name: cpu-limit-range}, spec: {limits: [{default: {cpu: 1}, defaultRequest: {cpu: 0.5}, type: Container}]}}").unwrap();
        assert_eq!((cpu.items[0].default["cpu"], cpu.items[0].default_request["cpu"]), (1000, 500));
        let mem = lr("{apiVersion: v1, kind: LimitRange, metadata: {name: limit-mem-cpu-per-container, namespace: team-a}, spec: {limits: [{max: {cpu: 800m, memory: 1Gi}, min: {cpu: 100m, memory: 99Mi}, default: {cpu: 700m, memory: 900Mi}, defaultRequest: {cpu: 110m, memory: 111Mi}, type: Container}]}}").unwrap();
        assert_eq!(mem.namespace, "team-a");
        let item = &mem.items[0];
        assert_eq!(item.max, amounts(&[("cpu", 800), ("memory", GI)]));
        assert_eq!(item.min, amounts(&[("cpu", 100), ("memory", 99 * MI)]));
        assert_eq!(item.default, amounts(&[("cpu", 700), ("memory", 900 * MI)]));
        assert_eq!(item.default_request, amounts(&[("cpu", 110), ("memory", 111 * MI)]));
    }

    #[test]
    fn min_becomes_the_default_request_when_nothing_else_does() {
        let lr = lr("{apiVersion: v1, kind: LimitRange, metadata: {name: m}, spec: {limits: [{min: {memory: 500Mi}, type: Container}]}}").unwrap();
        assert_eq!(lr.items[0].default_request, amounts(&[("memory", 500 * MI)]));
        assert!(lr.items[0].default.is_empty());
    }

    #[test]
    fn pod_items_keep_their_ratio_and_get_no_defaults() {
        let lr = lr("{apiVersion: v1, kind: LimitRange, metadata: {name: limit-memory-ratio-pod}, spec: {limits: [{maxLimitRequestRatio: {memory: 2}, max: {cpu: '2'}, type: Pod}]}}").unwrap();
        let item = &lr.items[0];
        assert_eq!(item.limit_type, LimitType::Pod);
        assert_eq!(item.max_limit_request_ratio, amounts(&[("memory", 2000)]));
        assert!(item.default.is_empty() && item.default_request.is_empty());
    }

    #[test]
    fn pvc_and_custom_items_are_parsed_and_kept_apart() {
        let lr = lr("{apiVersion: v1, kind: LimitRange, metadata: {name: s}, spec: {limits: [{type: PersistentVolumeClaim, max: {storage: 2Gi}, min: {storage: 1Gi}}, {type: example.com/thing, max: {cpu: '1'}}]}}").unwrap();
        assert_eq!(lr.items.len(), 1);
        assert_eq!(lr.items[0].limit_type, LimitType::PersistentVolumeClaim);
        assert_eq!(lr.items[0].max["storage"], 2 * GI);
    }

    #[test]
    fn limit_range_errors_name_file_line_and_field() {
        let text = "# comment\n{apiVersion: v1, kind: LimitRange, metadata: {name: bad}, spec: {limits: [{max: {cpu: 8OOm}, type: Container}]}}";
        let e = lr(text).unwrap_err();
        let shown = e.to_string();
        assert!(
            shown.starts_with("policy.yaml:2: field `spec.limits[0].max.cpu`: invalid quantity \"8OOm\""),
            "{shown}"
        );

        let cases = [
            (
                "{max: {cpu: 800m}, min: {cpu: 900m}, type: Container}",
                "spec.limits[0].min.cpu",
                "min value 900m is greater than max value 800m",
            ),
            (
                "{max: {memory: 1Gi}, default: {memory: 2Gi}, type: Container}",
                "spec.limits[0].defaultRequest.memory",
                "default request value 2Gi is greater than max value 1Gi",
            ),
            (
                "{default: {cpu: 500m}, defaultRequest: {cpu: 600m}, type: Container}",
                "spec.limits[0].defaultRequest.cpu",
                "default request value 600m is greater than default limit value 500m",
            ),
            (
                "{maxLimitRequestRatio: {cpu: 0.5}, type: Container}",
                "spec.limits[0].maxLimitRequestRatio.cpu",
                "ratio 500m is less than 1",
            ),
            (
                "{min: {cpu: 100m}, max: {cpu: 200m}, maxLimitRequestRatio: {cpu: 3}, type: Pod}",
                "spec.limits[0].maxLimitRequestRatio.cpu",
                "ratio 3 is greater than max/min = 2.000000",
            ),
            (
                "{default: {cpu: 1}, type: Pod}",
                "spec.limits[0].default",
                "Forbidden: may not be specified when `type` is 'Pod'",
            ),
            (
                "{default: {nvidia.com/gpu: 2}, defaultRequest: {nvidia.com/gpu: 1}, type: Container}",
                "spec.limits[0].defaultRequest.nvidia.com/gpu",
                "default value 2 must equal to defaultRequest value 1 in nvidia.com/gpu",
            ),
            (
                "{max: {memory: -1Gi}, type: Container}",
                "spec.limits[0].max.memory",
                "invalid quantity \"-1Gi\": must be greater than or equal to 0",
            ),
            (
                "{max: {cpu: 1}, type: Node}",
                "spec.limits[0].type",
                "Invalid value: \"Node\": must be a standard limit type (Container, Pod, PersistentVolumeClaim) or fully qualified",
            ),
            (
                "{type: PersistentVolumeClaim, max: {cpu: 1}}",
                "spec.limits[0].limits",
                "Required value: either minimum or maximum storage value is required, but neither was provided",
            ),
        ];
        for (item, field, message) in cases {
            let text = format!(
                "{{apiVersion: v1, kind: LimitRange, metadata: {{name: bad}}, spec: {{limits: [{item}]}}}}"
            );
            assert_eq!(
                field_error(lr(&text).unwrap_err()),
                (field.to_string(), message.to_string()),
                "{item}"
            );
        }
        let twice = "{apiVersion: v1, kind: LimitRange, metadata: {name: bad}, spec: {limits: [{type: Pod}, {type: Pod}]}}";
        assert_eq!(
            field_error(lr(twice).unwrap_err()),
            ("spec.limits[1].type".to_string(), "Duplicate value: \"Pod\"".to_string())
        );
        let unnamed = "{apiVersion: v1, kind: LimitRange, spec: {limits: []}}";
        assert_eq!(field_error(lr(unnamed).unwrap_err()).0, "metadata.name");
    }

    #[test]
    fn quota_hard_keys_with_dots_convert_per_resource() {
        // quota-mem-cpu.yaml (flow style, dotted keys).
        let q = rq("{\n  apiVersion: \"v1\",\n  kind: \"ResourceQuota\",\n  metadata: {\n    name: \"mem-cpu-demo\",\n  },\n  spec: {\n    hard: {\n      requests.cpu: \"1\",\n      requests.memory: \"1Gi\",\n      limits.cpu: \"2\",\n      limits.memory: \"2Gi\",\n    },\n  },\n}\n").unwrap();
        assert_eq!((q.namespace.as_str(), q.name.as_str()), ("default", "mem-cpu-demo"));
        assert_eq!(
            q.hard,
            amounts(&[
                ("limits.cpu", 2000),
                ("limits.memory", 2 * GI),
                ("requests.cpu", 1000),
                ("requests.memory", GI)
            ])
        );
        assert!(q.scopes.is_empty() && q.scope_selector.is_empty());
        let counts = rq("{apiVersion: v1, kind: ResourceQuota, metadata: {name: c}, spec: {hard: {pods: 10, count/pods: '1k', cpu: '0.5', requests.nvidia.com/gpu: 4}}}").unwrap();
        assert_eq!(
            counts.hard,
            amounts(&[("count/pods", 1000), ("cpu", 500), ("pods", 10), ("requests.nvidia.com/gpu", 4)])
        );
    }

    #[test]
    fn quota_scope_selectors_and_scopes() {
        let text = "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: pods-high\n  namespace: prod\nspec:\n  hard:\n    cpu: \"1000\"\n    memory: \"200Gi\"\n    pods: \"10\"\n  scopeSelector:\n    matchExpressions:\n    - operator: In\n      scopeName: PriorityClass\n      values: [\"high\"]\n";
        let q = rq(text).unwrap();
        assert_eq!(q.namespace, "prod");
        assert_eq!(q.hard, amounts(&[("cpu", 1_000_000), ("memory", 200 * GI), ("pods", 10)]));
        assert_eq!(
            q.scope_selector,
            vec![ScopeRequirement {
                scope: QuotaScope::PriorityClass,
                operator: ScopeOperator::In,
                values: vec!["high".into()]
            }]
        );
        // priority-class-resourcequota.yaml: no `hard` at all.
        let scoped = rq("{apiVersion: v1, kind: ResourceQuota, metadata: {name: pods-cluster-services}, spec: {scopeSelector: {matchExpressions: [{operator: In, scopeName: PriorityClass, values: [cluster-services]}]}}}").unwrap();
        assert!(scoped.hard.is_empty());
        let plain = rq("{apiVersion: v1, kind: ResourceQuota, metadata: {name: be}, spec: {hard: {pods: '5'}, scopes: [BestEffort]}}").unwrap();
        assert_eq!(plain.scopes, vec![QuotaScope::BestEffort]);
        let reqs: Vec<ScopeRequirement> = plain.scope_requirements().collect();
        assert_eq!(reqs[0].operator, ScopeOperator::Exists);
    }

    #[test]
    fn quota_validation_errors() {
        let cases = [
            ("{hard: {cpu: '1'}, scopes: [BestEffort]}", "spec.scopes"),
            ("{hard: {requests.ephemeral-storage: 1Gi}, scopes: [NotBestEffort]}", "spec.scopes"),
            ("{hard: {pods: '1'}, scopes: [BestEffort, NotBestEffort]}", "spec.scopes"),
            ("{hard: {pods: '1'}, scopes: [Sometimes]}", "spec.scopes[0]"),
            ("{hard: {pods: -1}}", "spec.hard.pods"),
            (
                "{hard: {pods: '1'}, scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In}]}}",
                "spec.scopeSelector.matchExpressions[0].values",
            ),
            (
                "{hard: {pods: '1'}, scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: Exists, values: [a]}]}}",
                "spec.scopeSelector.matchExpressions[0].values",
            ),
            (
                "{hard: {pods: '1'}, scopeSelector: {matchExpressions: [{scopeName: BestEffort, operator: DoesNotExist}]}}",
                "spec.scopeSelector.matchExpressions[0].operator",
            ),
            (
                "{hard: {pods: '1'}, scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: Gt, values: ['1']}]}}",
                "spec.scopeSelector.matchExpressions[0].operator",
            ),
            (
                "{hard: {pods: '1'}, scopeSelector: {matchExpressions: [{scopeName: Terminating, operator: Exists}, {scopeName: NotTerminating, operator: Exists}]}}",
                "spec.scopeSelector.matchExpressions",
            ),
        ];
        for (spec, field) in cases {
            let text =
                format!("{{apiVersion: v1, kind: ResourceQuota, metadata: {{name: bad}}, spec: {spec}}}");
            assert_eq!(field_error(rq(&text).unwrap_err()).0, field, "{spec}");
        }
        let (_, message) =
            field_error(rq("{apiVersion: v1, kind: ResourceQuota, metadata: {name: bad}, spec: {hard: {cpu: '1'}, scopes: [BestEffort]}}").unwrap_err());
        assert_eq!(
            message,
            "Invalid value: unsupported scope applied to resource: scope BestEffort cannot limit cpu"
        );
        // `count/pods` is not a standard quota resource, so any scope may carry it.
        assert!(rq("{apiVersion: v1, kind: ResourceQuota, metadata: {name: ok}, spec: {hard: {count/pods: '3'}, scopes: [BestEffort]}}").is_ok());
    }
}
