//! Syntax of Kubernetes names, label keys and label values, with the API server's messages
//! (`k8s.io/apimachinery/pkg/util/validation/validation.go`, v1.35). Each check returns the
//! messages upstream would report (empty: valid); callers wrap them as
//! `<field>: Invalid value: "<value>": <message>`.

/// Longest DNS-1123 subdomain (`DNS1123SubdomainMaxLength`).
const SUBDOMAIN_MAX: usize = 253;
/// Longest DNS-1123 label (`DNS1123LabelMaxLength`) and longest label name or value.
const LABEL_MAX: usize = 63;

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

fn max_len_msg(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
fn is_label_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty() && alnum(b[0]) && alnum(b[b.len() - 1]) && b.iter().all(|&c| alnum(c) || c == b'-')
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]` (what `allow_empty` additionally lets be empty).
fn is_qualified_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `IsDNS1123Label`: namespaces.
pub fn dns1123_label(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > LABEL_MAX {
        out.push(max_len_msg(LABEL_MAX));
    }
    if !is_label_syntax(s) {
        out.push(LABEL_MSG.to_string());
    }
    out
}

/// `IsDNS1123Subdomain`: pod and node names.
pub fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > SUBDOMAIN_MAX {
        out.push(max_len_msg(SUBDOMAIN_MAX));
    }
    if !s.split('.').all(is_label_syntax) {
        out.push(SUBDOMAIN_MSG.to_string());
    }
    out
}

/// `IsQualifiedName`: label keys and topology keys (`[prefix/]name`).
pub fn qualified_name(s: &str) -> Vec<String> {
    let parts: Vec<&str> = s.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                return vec!["prefix part must be non-empty".to_string()];
            }
            let mut out: Vec<String> =
                dns1123_subdomain(prefix).into_iter().map(|m| format!("prefix part {m}")).collect();
            out.extend(qualified_name_part(name));
            return out;
        }
        _ => {
            return vec![format!(
                "a qualified name {QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            )];
        }
    };
    qualified_name_part(name)
}

/// The name part of a qualified name.
fn qualified_name_part(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if name.is_empty() {
        out.push("name part must be non-empty".to_string());
    } else if name.len() > LABEL_MAX {
        out.push(format!("name part {}", max_len_msg(LABEL_MAX)));
    }
    if !is_qualified_syntax(name) {
        out.push(format!("name part {QUALIFIED_NAME_MSG}"));
    }
    out
}

/// `IsValidLabelValue`.
pub fn label_value(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > LABEL_MAX {
        out.push(max_len_msg(LABEL_MAX));
    }
    if !s.is_empty() && !is_qualified_syntax(s) {
        out.push(LABEL_VALUE_MSG.to_string());
    }
    out
}

/// `IsValidPortNum` (1..=65535).
pub fn port_number(p: i32) -> Vec<String> {
    if (1..=65535).contains(&p) {
        Vec::new()
    } else {
        vec!["must be between 1 and 65535, inclusive".to_string()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1123() {
        assert!(dns1123_subdomain("node-1.example.com").is_empty());
        assert_eq!(dns1123_subdomain("Node_1"), vec![SUBDOMAIN_MSG.to_string()]);
        assert!(!dns1123_subdomain("a..b").is_empty());
        assert!(!dns1123_subdomain(&"a".repeat(254)).is_empty());
        assert!(dns1123_label("kube-system").is_empty());
        assert_eq!(dns1123_label("my.ns"), vec![LABEL_MSG.to_string()]);
        assert_eq!(dns1123_label(&"a".repeat(64)), vec![max_len_msg(63)]);
    }

    #[test]
    fn label_keys_and_values() {
        assert!(qualified_name("topology.kubernetes.io/zone").is_empty());
        assert!(qualified_name("App_Name.v1").is_empty());
        assert_eq!(
            qualified_name(""),
            vec!["name part must be non-empty".to_string(), format!("name part {QUALIFIED_NAME_MSG}")]
        );
        assert_eq!(qualified_name("Example.com/x"), vec![format!("prefix part {SUBDOMAIN_MSG}")]);
        assert_eq!(qualified_name("a/b/c").len(), 1);
        assert!(label_value("").is_empty());
        assert!(label_value("v1.2_x-Y").is_empty());
        assert_eq!(label_value("-bad"), vec![LABEL_VALUE_MSG.to_string()]);
    }

    #[test]
    fn ports() {
        assert!(port_number(1).is_empty() && port_number(65535).is_empty());
        assert_eq!(port_number(0), vec!["must be between 1 and 65535, inclusive".to_string()]);
        assert!(!port_number(65536).is_empty());
    }
}
