//! A small strict WGSL composer. Every line of WGSL lives in `shaders/`; a kernel variant is a
//! kernel file plus values, and values are single words (numbers, identifiers such as `true`,
//! type names such as `vec2<u32>`), so Rust chooses code but never writes it. Directives:
//!
//! - `//!import PATH`: the snippet `shaders/PATH.wgsl`, once per kernel, recursively; PATH may
//!   name values (`//!import elem/{{DTYPE}}`).
//! - `//!if NAME` (a `true` / `false` value), `//!if NAME == WORD`, `//!if NAME != WORD`, then
//!   `//!else` (optional) and `//!endif`.
//! - `//!for C in NAME` ... `//!endfor`: the lines NAME times, `{{C}}` counting from 0.
//!
//! `{{NAME}}` elsewhere is replaced by its value. An unknown kernel, import or directive, a
//! placeholder without a value, a value no placeholder or directive names, or a value that is
//! not one word is an error: a kernel variant that composes is the one that was meant. (A
//! value named only in a skipped branch counts as used: other variants take that branch.)

// The kernels (`shaders/*.wgsl`) and the snippets (`shaders/*/*.wgsl`: shared code
// (`common/`), element loads by size (`load/`), element kinds (`elem/`), fold accumulators
// (`acc/`) and what elements become in them (`acc_of/`), fold ops (`fold/`), cast targets
// (`cast/`) and exact-sum items (`exact/`)), as (name, text), embedded by build.rs.
include!(concat!(env!("OUT_DIR"), "/shaders.rs"));

/// Composes kernel `name` with the values `vars`.
pub fn compose(name: &str, vars: &[(&str, String)]) -> Result<String, String> {
    compose_with_imports(name, vars).map(|(src, _)| src)
}

/// As [`compose`], with the snippets the kernel imported.
pub fn compose_with_imports(
    name: &str,
    vars: &[(&str, String)],
) -> Result<(String, Vec<&'static str>), String> {
    let src = KERNELS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .ok_or_else(|| format!("unknown kernel `{name}`"))?;
    for (i, (k, v)) in vars.iter().enumerate() {
        if !is_word(v) {
            return Err(format!("{name}: value of `{k}` is not one word: `{v}`"));
        }
        if vars[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(format!("{name}: `{k}` has two values"));
        }
    }
    let mut c = Composer {
        vars,
        used: vec![false; vars.len()],
        seen: Vec::new(),
        out: String::with_capacity(src.len() * 4),
        locals: Vec::new(),
    };
    c.file(name, src)?;
    if let Some(i) = c.used.iter().position(|u| !u) {
        return Err(format!("{name}: value for `{}` is not used", vars[i].0));
    }
    Ok((c.out, c.seen))
}

/// A number (`-160`, `0xffu`), an identifier, or a type name such as `vec2<u32>`: nothing that
/// could carry an expression or a statement.
fn is_word(v: &str) -> bool {
    let v = v.strip_prefix('-').unwrap_or(v);
    !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '<' | '>'))
}

/// What ended a block of lines: the end of the file or a closing directive.
#[derive(Debug, PartialEq, Eq)]
enum Closer {
    File,
    Else,
    EndIf,
    EndFor,
}

struct Composer<'a> {
    vars: &'a [(&'a str, String)],
    used: Vec<bool>,
    seen: Vec<&'static str>,
    out: String,
    /// The counters of the enclosing `//!for` blocks.
    locals: Vec<(String, u32)>,
}

impl Composer<'_> {
    fn file(&mut self, name: &str, src: &str) -> Result<(), String> {
        let lines: Vec<&str> = src.lines().collect();
        let mut pos = 0;
        match self.block(name, &lines, &mut pos, true)? {
            Closer::File => Ok(()),
            e => Err(format!("{name}:{pos}: {e:?} without its opening directive")),
        }
    }

    /// Lines from `pos` up to the end of the file or a directive that closes a block; only
    /// `active` lines are written (the others mark the values they name as used).
    fn block(
        &mut self,
        file: &str,
        lines: &[&str],
        pos: &mut usize,
        active: bool,
    ) -> Result<Closer, String> {
        while *pos < lines.len() {
            let line = lines[*pos];
            *pos += 1;
            let line_no = *pos;
            let at = |e: String| format!("{file}:{line_no}: {e}");
            let Some(directive) = line.trim_start().strip_prefix("//!") else {
                if active {
                    let s = self.substitute(line).map_err(at)?;
                    self.out.push_str(&s);
                    self.out.push('\n');
                } else {
                    self.mark(line);
                }
                continue;
            };
            let words: Vec<&str> = directive.split_whitespace().collect();
            match words.as_slice() {
                ["import", path] if active => {
                    let path = self.substitute(path).map_err(at)?;
                    let (n, snippet) = SNIPPETS
                        .iter()
                        .find(|(n, _)| *n == path)
                        .ok_or_else(|| at(format!("unknown import `{path}`")))?;
                    if !self.seen.contains(n) {
                        self.seen.push(n);
                        self.file(n, snippet)?;
                    }
                }
                ["import", path] => self.mark(path),
                ["if", cond @ ..] => {
                    let yes = if active {
                        self.condition(cond).map_err(at)?
                    } else {
                        cond.iter().for_each(|w| self.mark_name(w));
                        false
                    };
                    let mut end = self.block(file, lines, pos, active && yes)?;
                    if end == Closer::Else {
                        end = self.block(file, lines, pos, active && !yes)?;
                    }
                    if end != Closer::EndIf {
                        return Err(at("`//!if` without `//!endif`".into()));
                    }
                }
                ["for", counter, "in", count] => {
                    let n = if active {
                        let v = self.value(count).map_err(at)?;
                        v.parse::<u32>()
                            .map_err(|_| at(format!("`{count}` = `{v}` is not a count")))?
                    } else {
                        self.mark_name(count);
                        0
                    };
                    let start = *pos;
                    for k in 0..n.max(1) {
                        *pos = start;
                        self.locals.push((counter.to_string(), k));
                        let end = self.block(file, lines, pos, active && n > 0);
                        self.locals.pop();
                        if end? != Closer::EndFor {
                            return Err(at("`//!for` without `//!endfor`".into()));
                        }
                    }
                }
                ["else"] => return Ok(Closer::Else),
                ["endif"] => return Ok(Closer::EndIf),
                ["endfor"] => return Ok(Closer::EndFor),
                _ => return Err(at(format!("unknown directive `{}`", line.trim()))),
            }
        }
        Ok(Closer::File)
    }

    /// `NAME` (a boolean value), `NAME == WORD` or `NAME != WORD`.
    fn condition(&mut self, cond: &[&str]) -> Result<bool, String> {
        match *cond {
            [name] => match self.value(name)? {
                "true" => Ok(true),
                "false" => Ok(false),
                v => Err(format!("`{name}` = `{v}` is not a boolean")),
            },
            [name, "==", word] => Ok(self.value(name)? == word),
            [name, "!=", word] => Ok(self.value(name)? != word),
            _ => Err(format!("bad condition `{}`", cond.join(" "))),
        }
    }

    /// The value of `name`, marked as used.
    fn value(&mut self, name: &str) -> Result<&str, String> {
        let i = self
            .vars
            .iter()
            .position(|(k, _)| *k == name)
            .ok_or_else(|| format!("`{name}` has no value"))?;
        self.used[i] = true;
        Ok(&self.vars[i].1)
    }

    fn mark_name(&mut self, name: &str) {
        if let Some(i) = self.vars.iter().position(|(k, _)| *k == name) {
            self.used[i] = true;
        }
    }

    /// Marks the values a skipped line names as used (it would use them with other values).
    fn mark(&mut self, line: &str) {
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { return };
            self.mark_name(&after[..end]);
            rest = &after[end + 2..];
        }
    }

    /// `line` with every `{{NAME}}` replaced (loop counters first, then values).
    fn substitute(&mut self, line: &str) -> Result<String, String> {
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or("unterminated placeholder")?;
            let key = &after[..end];
            match self.locals.iter().rev().find(|(c, _)| c == key) {
                Some((_, k)) => out.push_str(&k.to_string()),
                None => {
                    let v = self
                        .value(key)
                        .map_err(|_| format!("placeholder {{{{{key}}}}} has no value"))?;
                    out.push_str(v);
                }
            }
            rest = &after[end + 2..];
        }
        if rest.contains("}}") {
            return Err("`}}` without `{{`".into());
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the directive machinery on `src` as if it were a kernel.
    fn run(src: &str, vars: &[(&str, &str)]) -> Result<String, String> {
        let vars: Vec<(&str, String)> = vars.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let mut c = Composer {
            vars: &vars,
            used: vec![false; vars.len()],
            seen: Vec::new(),
            out: String::new(),
            locals: Vec::new(),
        };
        c.file("test", src)?;
        if let Some(i) = c.used.iter().position(|u| !u) {
            return Err(format!("unused {}", vars[i].0));
        }
        Ok(c.out)
    }

    #[test]
    fn values_and_conditions() {
        let src =
            "a {{X}}\n//!if F\nyes\n//!else\nno {{Y}}\n//!endif\n//!if X == 3\nthree\n//!endif\n";
        assert_eq!(
            run(src, &[("X", "3"), ("F", "true"), ("Y", "u32")]).unwrap(),
            "a 3\nyes\nthree\n"
        );
        assert_eq!(
            run(src, &[("X", "4"), ("F", "false"), ("Y", "u32")]).unwrap(),
            "a 4\nno u32\n"
        );
        // Y only in a skipped branch still counts as named (it would be used otherwise).
        assert!(run(src, &[("X", "3"), ("F", "true"), ("Y", "u32")]).is_ok());
        assert!(
            run(src, &[("X", "3"), ("F", "1"), ("Y", "u32")]).is_err(),
            "not bool"
        );
        assert!(
            run(src, &[("X", "3"), ("F", "false")]).is_err(),
            "Y missing"
        );
        assert!(run("//!if F\nx\n", &[("F", "true")]).is_err(), "no endif");
        assert!(run("//!endif\n", &[]).is_err(), "stray endif");
        assert!(run("//!include grid\n", &[]).is_err(), "unknown directive");
        assert!(run("{{X}\n", &[("X", "1")]).is_err(), "unterminated");
    }

    #[test]
    fn loops() {
        let src = "//!for C in N\nb{{C}} {{T}}\n//!endfor\nend\n";
        assert_eq!(
            run(src, &[("N", "3"), ("T", "f64")]).unwrap(),
            "b0 f64\nb1 f64\nb2 f64\nend\n"
        );
        assert_eq!(run(src, &[("N", "0"), ("T", "f64")]).unwrap(), "end\n");
        assert!(run(src, &[("N", "x"), ("T", "f64")]).is_err());
        assert!(
            run("//!for C in N\nx\n", &[("N", "1")]).is_err(),
            "no endfor"
        );
    }

    #[test]
    fn imports_once_and_by_value() {
        let out = run(
            "//!import common/{{G}}\n//!import common/grid\n",
            &[("G", "grid")],
        )
        .unwrap();
        assert_eq!(out.matches("fn flat_group").count(), 1);
        assert!(run("//!import common/nothere\n", &[]).is_err());
        // A skipped import is not expanded.
        let out = run(
            "//!if F\n//!import common/grid\n//!endif\n",
            &[("F", "false")],
        )
        .unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn values_are_words() {
        for ok in ["12", "-160", "0xffu", "vec2<u32>", "true", "f64"] {
            assert!(is_word(ok), "{ok}");
        }
        for bad in ["", "a + b", "f(x)", "x;", "return v;", "{{X}}", "-"] {
            assert!(!is_word(bad), "{bad}");
        }
        let vars = vec![("UNITS", "16u; fn evil() {}".to_string())];
        assert!(compose("copy", &vars).is_err());
    }
}
