//! A small strict WGSL composer: `//!import NAME` lines pull in `shaders/common/NAME.wgsl`
//! (once each, recursively) and `{{KEY}}` placeholders are replaced from a list. An unknown
//! import, a placeholder left without a value, or a value no placeholder asked for is an error:
//! a kernel variant that composes is the one that was meant.

/// The kernels, embedded.
pub const KERNELS: &[(&str, &str)] = &[
    ("cast", include_str!("../../shaders/cast.wgsl")),
    ("fold", include_str!("../../shaders/fold.wgsl")),
    ("arg", include_str!("../../shaders/arg.wgsl")),
    ("copy", include_str!("../../shaders/copy.wgsl")),
    ("exact_fold", include_str!("../../shaders/exact_fold.wgsl")),
    (
        "exact_round",
        include_str!("../../shaders/exact_round.wgsl"),
    ),
];

/// The shared snippets, embedded.
pub const SNIPPETS: &[(&str, &str)] = &[
    ("convert", include_str!("../../shaders/common/convert.wgsl")),
    ("grid", include_str!("../../shaders/common/grid.wgsl")),
    ("int", include_str!("../../shaders/common/int.wgsl")),
    ("f64emu", include_str!("../../shaders/common/f64emu.wgsl")),
    ("fold", include_str!("../../shaders/common/fold.wgsl")),
    ("reduce", include_str!("../../shaders/common/reduce.wgsl")),
    ("exact", include_str!("../../shaders/common/exact.wgsl")),
    (
        "elementwise",
        include_str!("../../shaders/common/elementwise.wgsl"),
    ),
];

/// Composes kernel `name` with the placeholder values `vars`.
pub fn compose(name: &str, vars: &[(&str, String)]) -> Result<String, String> {
    let src = KERNELS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .ok_or_else(|| format!("unknown kernel `{name}`"))?;
    let mut out = String::new();
    let mut seen = Vec::new();
    expand(src, &mut out, &mut seen)?;
    let mut used = vec![false; vars.len()];
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(start) = rest.find("{{") {
        result.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("{name}: unterminated placeholder"))?;
        let key = &after[..end];
        let (i, (_, v)) = vars
            .iter()
            .enumerate()
            .find(|(_, (k, _))| *k == key)
            .ok_or_else(|| format!("{name}: placeholder {{{{{key}}}}} has no value"))?;
        used[i] = true;
        result.push_str(v);
        rest = &after[end + 2..];
    }
    result.push_str(rest);
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(format!("{name}: value for `{}` is not used", vars[i].0));
    }
    if result.contains("{{") || result.contains("}}") {
        return Err(format!("{name}: a placeholder is left after substitution"));
    }
    Ok(result)
}

fn expand(src: &str, out: &mut String, seen: &mut Vec<&'static str>) -> Result<(), String> {
    for line in src.lines() {
        if let Some(name) = line.trim().strip_prefix("//!import ") {
            let name = name.trim();
            let (n, snippet) = SNIPPETS
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| format!("unknown import `{name}`"))?;
            if !seen.contains(n) {
                seen.push(n);
                expand(snippet, out, seen)?;
            }
        } else if line.trim_start().starts_with("//!") {
            return Err(format!("unknown directive `{}`", line.trim()));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict() {
        assert!(compose("nope", &[]).is_err());
        let ok = compose(
            "copy",
            &super::super::kernels::copy_vars(1, 1, 20)
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(ok.contains("fn flat_group"));
        assert!(compose("copy", &[]).is_err(), "missing values must fail");
        let mut vars: Vec<(&str, String)> = super::super::kernels::copy_vars(1, 1, 20);
        vars.push(("EXTRA", "1".into()));
        assert!(compose("copy", &vars).is_err(), "unused values must fail");
        let mut seen = Vec::new();
        let mut out = String::new();
        assert!(expand("//!import nothere\n", &mut out, &mut seen).is_err());
        assert!(expand("//!include grid\n", &mut out, &mut seen).is_err());
    }

    #[test]
    fn imports_once() {
        let mut seen = Vec::new();
        let mut out = String::new();
        expand("//!import grid\n//!import grid\n", &mut out, &mut seen).unwrap();
        assert_eq!(out.matches("fn flat_group").count(), 1);
    }
}
