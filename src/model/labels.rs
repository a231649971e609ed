//! Labels, node selectors, taints and tolerations: the matching rules of `k8s.io/api/core/v1` and
//! `component-helpers/scheduling/corev1/nodeaffinity`.

use std::collections::BTreeMap;

/// Labels of an object, in key order.
pub type Labels = BTreeMap<String, String>;

/// Operator of a node selector requirement (`In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeSelectorOperator {
    /// Key present and value in the list.
    In,
    /// Key absent, or value not in the list.
    NotIn,
    /// Key present.
    Exists,
    /// Key absent.
    DoesNotExist,
    /// Key present and its value, as int64, greater than the single value.
    Gt,
    /// Key present and its value, as int64, less than the single value.
    Lt,
}

/// One `matchExpressions` / `matchFields` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSelectorRequirement {
    /// Label key (or field name, `metadata.name`, for matchFields).
    pub key: String,
    /// The operator.
    pub operator: NodeSelectorOperator,
    /// The values the operator compares with.
    pub values: Vec<String>,
}

impl NodeSelectorRequirement {
    /// Whether `value` (the label's value, `None` when the key is absent) satisfies this
    /// requirement, as upstream's `labels.Selector` built by `NodeSelectorRequirementsAsSelector`.
    pub fn matches_value(&self, value: Option<&str>) -> bool {
        match self.operator {
            NodeSelectorOperator::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            NodeSelectorOperator::NotIn => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            NodeSelectorOperator::Exists => value.is_some(),
            NodeSelectorOperator::DoesNotExist => value.is_none(),
            NodeSelectorOperator::Gt | NodeSelectorOperator::Lt => {
                let (Some(v), [bound]) = (value, self.values.as_slice()) else {
                    return false;
                };
                let (Ok(v), Ok(bound)) = (v.parse::<i64>(), bound.parse::<i64>()) else {
                    return false;
                };
                if self.operator == NodeSelectorOperator::Gt { v > bound } else { v < bound }
            }
        }
    }
}

/// One node selector term: all expressions and fields are ANDed. A term with neither matches
/// nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeSelectorTerm {
    /// Requirements on node labels.
    pub match_expressions: Vec<NodeSelectorRequirement>,
    /// Requirements on node fields (only `metadata.name`).
    pub match_fields: Vec<NodeSelectorRequirement>,
}

impl NodeSelectorTerm {
    /// Whether a node with `name` and `labels` matches this term, as upstream's
    /// `nodeSelectorTerm.match`: a term with neither expressions nor fields matches nothing, a
    /// term upstream cannot parse ([`NodeSelectorTerm::parse_error`]) matches nothing, otherwise
    /// every expression (on labels) and every field (on `metadata.name`) must hold.
    pub fn matches(&self, name: &str, labels: &Labels) -> bool {
        if self.match_expressions.is_empty() && self.match_fields.is_empty() {
            return false;
        }
        if self.parse_error().is_some() {
            return false;
        }
        self.matches_parsed(name, labels)
    }

    /// Whether this term matches, for a term known to be non-empty and to parse
    /// ([`NodeSelectorTerm::is_usable`]): [`NodeSelectorTerm::matches`] without re-validating the
    /// term for every node.
    pub fn matches_parsed(&self, name: &str, labels: &Labels) -> bool {
        self.match_expressions.iter().all(|r| r.matches_value(labels.get(&r.key).map(String::as_str)))
            && self.match_fields.iter().all(|r| {
                // A field selector reads the node's field set, which only has `metadata.name`;
                // any other field reads as "".
                let v = if r.key == "metadata.name" { name } else { "" };
                match r.operator {
                    NodeSelectorOperator::In => r.values[0] == v,
                    _ => r.values[0] != v,
                }
            })
    }

    /// True when the term can match anything: it has expressions or fields, and parses.
    pub fn is_usable(&self) -> bool {
        !(self.match_expressions.is_empty() && self.match_fields.is_empty()) && self.parse_error().is_none()
    }

    /// Why upstream's parser rejects this term, if it does (`nodeSelectorRequirementsAsSelector`
    /// and `...AsFieldSelector`): expressions need a qualified-name key, valid label values, a
    /// non-empty value list for In/NotIn, none for Exists/DoesNotExist, and one integer for
    /// Gt/Lt; fields take only In/NotIn with exactly one value.
    pub fn parse_error(&self) -> Option<String> {
        for r in &self.match_expressions {
            if let Some(e) = r.label_requirement_error() {
                return Some(format!("matchExpressions: {e}"));
            }
        }
        for r in &self.match_fields {
            let ok_op = matches!(r.operator, NodeSelectorOperator::In | NodeSelectorOperator::NotIn);
            if !ok_op {
                return Some(format!("matchFields: {:?} is not a valid selector operator", r.operator));
            }
            if r.values.len() != 1 {
                return Some("matchFields: values must have one element".into());
            }
        }
        None
    }
}

impl NodeSelectorRequirement {
    /// Why upstream's `labels.NewRequirement` rejects this requirement, if it does.
    pub fn label_requirement_error(&self) -> Option<String> {
        if !is_qualified_name(&self.key) {
            return Some(format!("key {:?}: not a qualified name", self.key));
        }
        use NodeSelectorOperator::*;
        match self.operator {
            In | NotIn if self.values.is_empty() => {
                return Some("for 'in', 'notin' operators, values set can't be empty".into());
            }
            Exists | DoesNotExist if !self.values.is_empty() => {
                return Some("values set must be empty for exists and does not exist".into());
            }
            Gt | Lt => {
                if self.values.len() != 1 {
                    return Some("for 'Gt', 'Lt' operators, exactly one value is required".into());
                }
                if self.values[0].parse::<i64>().is_err() {
                    return Some("for 'Gt', 'Lt' operators, the value must be an integer".into());
                }
            }
            _ => {}
        }
        self.values
            .iter()
            .find(|v| !is_valid_label_value(v))
            .map(|v| format!("value {v:?}: not a valid label value"))
    }
}

/// Upstream `validation.IsValidLabelValue`: empty, or at most 63 characters of alphanumerics,
/// `-`, `_` and `.` that start and end with an alphanumeric.
pub fn is_valid_label_value(v: &str) -> bool {
    v.is_empty() || (v.len() <= 63 && is_name_part(v))
}

/// Upstream `validation.IsQualifiedName`: `[prefix/]name`, the prefix a DNS-1123 subdomain, the
/// name 1-63 alphanumerics, `-`, `_`, `.`, starting and ending with an alphanumeric.
pub fn is_qualified_name(k: &str) -> bool {
    let (prefix, name) = match k.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    if name.contains('/') || name.is_empty() || name.len() > 63 || !is_name_part(name) {
        return false;
    }
    prefix.is_none_or(is_dns1123_subdomain)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]` over the whole (non-empty) string.
fn is_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Upstream `validation.IsDNS1123Subdomain`: at most 253 characters, dot-separated labels of
/// lowercase alphanumerics and `-` that start and end with an alphanumeric.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// A required node selector: terms are ORed. An empty term list matches nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeSelector {
    /// The terms.
    pub terms: Vec<NodeSelectorTerm>,
}

impl NodeSelector {
    /// Whether a node with `name` and `labels` matches any term.
    pub fn matches(&self, name: &str, labels: &Labels) -> bool {
        self.terms.iter().any(|t| t.matches(name, labels))
    }
}

/// A `preferredDuringSchedulingIgnoredDuringExecution` term of node affinity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreferredSchedulingTerm {
    /// Weight, 1..=100.
    pub weight: i32,
    /// The term.
    pub preference: NodeSelectorTerm,
}

/// Node affinity of a pod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeAffinity {
    /// `requiredDuringSchedulingIgnoredDuringExecution`.
    pub required: Option<NodeSelector>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`.
    pub preferred: Vec<PreferredSchedulingTerm>,
}

/// Effect of a taint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TaintEffect {
    /// New pods that don't tolerate it are not scheduled.
    NoSchedule,
    /// The scheduler tries to avoid the node.
    PreferNoSchedule,
    /// Running pods that don't tolerate it are evicted.
    NoExecute,
}

impl TaintEffect {
    /// The effect's API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// A node taint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    /// Key.
    pub key: String,
    /// Value (may be empty).
    pub value: String,
    /// Effect.
    pub effect: TaintEffect,
}

/// Operator of a toleration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TolerationOperator {
    /// Any value.
    Exists,
    /// Values must be equal (the default when the operator is empty).
    Equal,
    /// Numeric `taint value < toleration value`: alpha gate TaintTolerationComparisonOperators,
    /// off in v1.35, so such a toleration tolerates nothing.
    Lt,
    /// Numeric `taint value > toleration value`: alpha gate TaintTolerationComparisonOperators,
    /// off in v1.35, so such a toleration tolerates nothing.
    Gt,
}

/// A pod toleration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toleration {
    /// Key; empty with `Exists` tolerates every key.
    pub key: String,
    /// Operator.
    pub operator: TolerationOperator,
    /// Value compared under `Equal`.
    pub value: String,
    /// Effect; `None` matches every effect.
    pub effect: Option<TaintEffect>,
    /// For NoExecute: seconds the pod stays bound after the taint appears.
    pub toleration_seconds: Option<i64>,
}

impl Toleration {
    /// Whether this toleration tolerates `taint` (upstream `Toleration.ToleratesTaint` with the
    /// comparison-operator gate off): effects equal or the toleration's empty, keys equal or the
    /// toleration's empty, then `Exists` matches any value, `Equal` needs equal values, and `Lt` /
    /// `Gt` match nothing.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if self.effect.is_some_and(|e| e != taint.effect) {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => self.value == taint.value,
            TolerationOperator::Lt | TolerationOperator::Gt => false,
        }
    }
}

/// Whether any toleration in `tolerations` tolerates `taint`.
pub fn tolerations_tolerate(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| t.tolerates(taint))
}

/// The first taint among `taints` whose effect passes `filter` and that no toleration tolerates
/// (upstream `FindMatchingUntoleratedTaint`).
pub fn find_untolerated_taint<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
    filter: impl Fn(&Taint) -> bool,
) -> Option<&'a Taint> {
    taints.iter().find(|t| filter(t) && !tolerations_tolerate(tolerations, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(op: NodeSelectorOperator, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: "k".into(),
            operator: op,
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn operators_match_as_upstream() {
        use NodeSelectorOperator::*;
        assert!(req(In, &["a", "b"]).matches_value(Some("b")));
        assert!(!req(In, &["a"]).matches_value(None));
        assert!(req(NotIn, &["a"]).matches_value(None));
        assert!(!req(NotIn, &["a"]).matches_value(Some("a")));
        assert!(req(Gt, &["5"]).matches_value(Some("6")));
        assert!(!req(Gt, &["5"]).matches_value(Some("5")));
        assert!(!req(Lt, &["5"]).matches_value(Some("x")));
        assert!(req(DoesNotExist, &[]).matches_value(None));
    }

    /// `labels.NewRequirement` errors make the whole term match nothing (upstream's
    /// "invalid value in Affinity term" case), even for NotIn.
    #[test]
    fn unparsable_terms_match_nothing() {
        let mut labels = Labels::new();
        labels.insert("foo".into(), "bar".into());
        let mut r = req(NodeSelectorOperator::NotIn, &["invalid value: ___@#$%^"]);
        r.key = "foo".into();
        let term = NodeSelectorTerm { match_expressions: vec![r.clone()], match_fields: vec![] };
        assert!(term.parse_error().is_some());
        assert!(!term.matches("n", &labels));
        r.values = vec!["baz".into()];
        assert!(NodeSelectorTerm { match_expressions: vec![r], match_fields: vec![] }.matches("n", &labels));
        assert!(is_qualified_name("kubernetes.io/hostname"));
        assert!(!is_qualified_name("Bad_Prefix/x"));
        assert!(!is_qualified_name("a/b/c"));
        assert!(is_valid_label_value(""));
        assert!(!is_valid_label_value("-x"));
    }

    #[test]
    fn empty_term_matches_nothing() {
        let labels = Labels::new();
        assert!(!NodeSelectorTerm::default().matches("n", &labels));
        assert!(!NodeSelector::default().matches("n", &labels));
    }

    #[test]
    fn toleration_with_empty_key_and_exists_tolerates_all() {
        let t = Toleration {
            key: String::new(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: None,
            toleration_seconds: None,
        };
        let taint = Taint { key: "x".into(), value: "y".into(), effect: TaintEffect::NoExecute };
        assert!(t.tolerates(&taint));
    }

    /// `ToleratesTaint` with the comparison-operator gate off: Lt/Gt match nothing; Equal compares
    /// values only once the key check passed.
    #[test]
    fn comparison_operators_tolerate_nothing_while_the_gate_is_off() {
        let taint = Taint { key: "sla".into(), value: "950".into(), effect: TaintEffect::NoSchedule };
        let tol = |operator, key: &str, value: &str| Toleration {
            key: key.into(),
            operator,
            value: value.into(),
            effect: None,
            toleration_seconds: None,
        };
        assert!(!tol(TolerationOperator::Gt, "sla", "750").tolerates(&taint));
        assert!(!tol(TolerationOperator::Lt, "sla", "990").tolerates(&taint));
        assert!(tol(TolerationOperator::Equal, "", "950").tolerates(&taint));
        assert!(!tol(TolerationOperator::Equal, "other", "950").tolerates(&taint));
    }
}

/// Operator of a label selector requirement (`metav1.LabelSelectorOperator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LabelSelectorOperator {
    /// Key present and value in the list.
    In,
    /// Key absent, or value not in the list.
    NotIn,
    /// Key present.
    Exists,
    /// Key absent.
    DoesNotExist,
}

/// One `matchExpressions` entry of a label selector.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelSelectorRequirement {
    /// Label key.
    pub key: String,
    /// Operator.
    pub operator: LabelSelectorOperator,
    /// Values (In/NotIn).
    pub values: Vec<String>,
}

/// A label selector (`metav1.LabelSelector`) as upstream's `LabelSelectorAsSelector` reads it:
/// `matchLabels` and `matchExpressions` ANDed; an empty selector matches everything. A *missing*
/// selector (which matches nothing) is `Option::None` where it is held.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelSelector {
    /// `matchLabels`.
    pub match_labels: Labels,
    /// `matchExpressions`.
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

impl LabelSelector {
    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let v = labels.get(&r.key);
                match r.operator {
                    LabelSelectorOperator::In => v.is_some_and(|v| r.values.contains(v)),
                    LabelSelectorOperator::NotIn => v.is_none_or(|v| !r.values.contains(v)),
                    LabelSelectorOperator::Exists => v.is_some(),
                    LabelSelectorOperator::DoesNotExist => v.is_none(),
                }
            })
    }

    /// True when the selector has no requirement (matches everything).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
}

/// Why `labels.NewRequirement` would reject a label selector requirement, if it would (upstream
/// `metav1.LabelSelectorAsSelector`'s per-requirement validation: a qualified key, values for
/// `In`/`NotIn` and none for `Exists`/`DoesNotExist`, valid label values).
pub fn requirement_parse_error(key: &str, op: LabelSelectorOperator, values: &[String]) -> Option<String> {
    if !is_qualified_name(key) {
        return Some(format!("key: Invalid value: {key:?}: not a qualified name"));
    }
    use LabelSelectorOperator::*;
    match op {
        In | NotIn if values.is_empty() => {
            return Some(
                "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty".into(),
            );
        }
        Exists | DoesNotExist if !values.is_empty() => {
            return Some(format!(
                "values: Invalid value: {values:?}: values set must be empty for exists and does not exist"
            ));
        }
        _ => {}
    }
    values
        .iter()
        .enumerate()
        .find(|(_, v)| !is_valid_label_value(v))
        .map(|(i, v)| format!("values[{i}][{key}]: Invalid value: {v:?}: not a valid label value"))
}

/// Why `metav1.LabelSelectorAsSelector` would reject `sel`, if it would (`None` selectors parse):
/// `matchLabels` first (each as `key In [value]`), then `matchExpressions`, in order.
pub fn selector_parse_error(sel: Option<&LabelSelector>) -> Option<String> {
    let sel = sel?;
    for (k, v) in &sel.match_labels {
        if let Some(e) = requirement_parse_error(k, LabelSelectorOperator::In, std::slice::from_ref(v)) {
            return Some(e);
        }
    }
    sel.match_expressions.iter().find_map(|r| requirement_parse_error(&r.key, r.operator, &r.values))
}

/// Whether an optional selector matches: `None` (a missing selector) matches nothing.
pub fn selector_matches(selector: Option<&LabelSelector>, labels: &Labels) -> bool {
    selector.is_some_and(|s| s.matches(labels))
}
