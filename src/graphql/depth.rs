//! Bounds on nesting, checked before anything recursive touches a request.
//!
//! async-graphql's parser, its validation rules and the coercion of
//! arguments all recurse over a document: a list literal nested a few
//! thousand deep (`code: [[[…"1"…]]]`, 6 KB) overflows a worker's stack and
//! aborts the whole process. So the document's text is scanned first, with a
//! loop and a counter (no recursion), and refused when a value nests deeper
//! than [`MAX_VALUE_DEPTH`] (`VALUE_TOO_DEEP`) or selection sets deeper than
//! [`MAX_SELECTION_NESTING`] (`QUERY_TOO_DEEP`); variables are walked the same
//! way. Only then is the document parsed, and its fragments measured without
//! recursing through spreads (see [`measure`]): the schema's own depth limit
//! ([`super::MAX_DEPTH`]) then speaks for itself at any depth or fragment shape.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, ServerError, Value, Variables};
use std::collections::HashMap;

/// Deepest value accepted (a list of lists, an input object within an input
/// object, in a literal, a variable or a default). Tidtam's deepest input is
/// a filter inside an argument (three levels); 32 leaves room for any client.
pub const MAX_VALUE_DEPTH: usize = 32;

/// Deepest nesting of selection sets in a document's text (fields and inline
/// fragments). Only a guard for the parser's stack: the schema refuses
/// queries deeper than [`super::MAX_DEPTH`] fields with a precise message.
pub const MAX_SELECTION_NESTING: usize = 48;

/// Deepest chain of fields, inline fragments and fragment spreads (the
/// schema's `limit_recursive_depth` is 64; refused here first, with a code).
pub const MAX_NESTING: usize = 60;

/// Most selections a document may expand to, counting a fragment at every
/// place it is spread: a "fragment bomb" (each fragment spreading the next
/// twice, thirty times over) is a few hundred bytes and a billion fields.
pub const MAX_EXPANDED_SELECTIONS: usize = 100_000;

/// The code of a value nested too deep.
pub const VALUE_TOO_DEEP: &str = "VALUE_TOO_DEEP";
/// The code of a query nested too deep.
pub const QUERY_TOO_DEEP: &str = "QUERY_TOO_DEEP";
/// The code of a query that expands to too many selections.
pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";

/// A request error with its `extensions.code`.
pub fn coded(code: &str, message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code);
    error.extensions = Some(ext);
    error
}

fn value_too_deep() -> ServerError {
    coded(
        VALUE_TOO_DEEP,
        format!(
            "ค่าซ้อนกันได้ไม่เกิน {MAX_VALUE_DEPTH} ชั้น / a value (list or input object) is nested deeper than {MAX_VALUE_DEPTH} levels"
        ),
    )
}

fn selections_too_deep(limit: usize) -> ServerError {
    coded(
        QUERY_TOO_DEEP,
        format!("คำสั่งซ้อนกันได้ไม่เกิน {limit} ชั้น / the query is nested deeper than {limit} levels"),
    )
}

/// What an open bracket of the document's text is.
#[derive(Clone, Copy)]
struct Open {
    /// Inside an argument list, a variable definition or a value.
    in_value: bool,
    value_depth: usize,
    selection_depth: usize,
}

/// Scans a document's text for nesting, without parsing it: strings, block
/// strings and comments are skipped; a `[` or `{` inside parentheses (or
/// inside another value) is a value level, a `{` elsewhere a selection set.
/// Unbalanced text is left to the parser (which then sees only shallow text).
pub fn check_text(query: &str) -> Result<(), ServerError> {
    let bytes = query.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let top = stack.last().copied().unwrap_or(Open {
            in_value: false,
            value_depth: 0,
            selection_depth: 0,
        });
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i = skip_block_string(bytes, i + 3);
                continue;
            }
            b'"' => {
                i = skip_string(bytes, i + 1);
                continue;
            }
            b'(' => stack.push(Open {
                in_value: true,
                // Parentheses never nest in GraphQL; if they do, they count.
                value_depth: if top.in_value { top.value_depth + 1 } else { 0 },
                ..top
            }),
            b'[' => stack.push(Open {
                in_value: true,
                value_depth: top.value_depth + 1,
                ..top
            }),
            b'{' if top.in_value => stack.push(Open {
                value_depth: top.value_depth + 1,
                ..top
            }),
            b'{' => stack.push(Open {
                selection_depth: top.selection_depth + 1,
                ..top
            }),
            b')' | b']' | b'}' => {
                stack.pop();
            }
            _ => {}
        }
        if let Some(open) = stack.last() {
            if open.value_depth > MAX_VALUE_DEPTH {
                return Err(value_too_deep());
            }
            if open.selection_depth > MAX_SELECTION_NESTING {
                return Err(selections_too_deep(super::MAX_DEPTH));
            }
        }
        i += 1;
    }
    Ok(())
}

/// The index after a string's closing quote (or the end of the text).
fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The index after a block string's closing `"""` (`\"""` does not close it).
fn skip_block_string(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        if bytes[i..].starts_with(b"\\\"\"\"") {
            i += 4;
        } else if bytes[i..].starts_with(b"\"\"\"") {
            return i + 3;
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Refuses variables nested deeper than [`MAX_VALUE_DEPTH`] (walked with a
/// stack of its own, not by recursion).
pub fn check_variables(variables: &Variables) -> Result<(), ServerError> {
    let mut pending: Vec<(&Value, usize)> = variables.values().map(|v| (v, 1)).collect();
    while let Some((value, depth)) = pending.pop() {
        if depth > MAX_VALUE_DEPTH {
            return Err(value_too_deep());
        }
        match value {
            Value::List(items) => pending.extend(items.iter().map(|v| (v, depth + 1))),
            Value::Object(fields) => pending.extend(fields.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// What a selection set expands to, fragments spread in place.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Measure {
    /// Deepest chain of fields (as the schema's depth limit counts: a root
    /// field is 1; fragments add nothing).
    pub depth: usize,
    /// Deepest chain of fields, inline fragments and spreads.
    pub nesting: usize,
    /// Aliases, a fragment's counted at every spread (saturating).
    pub aliases: usize,
    /// Fields, inline fragments and spreads (saturating).
    pub selections: usize,
}

/// Why a document could not be measured.
#[derive(Debug, PartialEq, Eq)]
pub enum Unmeasurable {
    /// A fragment spreads itself, directly or through others.
    Cycle(String),
}

/// Measures each operation of `doc` and returns the largest of each figure.
/// Fragments are measured once each (memoised), in an order found with an
/// explicit stack, so neither a long chain of spreads nor a fragment bomb
/// makes this recurse or loop; recursion happens only within one selection
/// set, whose nesting [`check_text`] has bounded.
pub fn measure(doc: &ExecutableDocument) -> Result<Measure, Unmeasurable> {
    let memo = measure_fragments(doc)?;
    let mut total = Measure::default();
    for (_, operation) in doc.operations.iter() {
        let m = measure_set(&operation.node.selection_set.node, &memo);
        total.depth = total.depth.max(m.depth);
        total.nesting = total.nesting.max(m.nesting);
        total.aliases = total.aliases.saturating_add(m.aliases);
        total.selections = total.selections.saturating_add(m.selections);
    }
    Ok(total)
}

fn measure_fragments(doc: &ExecutableDocument) -> Result<HashMap<Name, Measure>, Unmeasurable> {
    enum Step<'a> {
        Enter(&'a Name),
        Exit(&'a Name),
    }
    let mut memo: HashMap<Name, Measure> = HashMap::new();
    let mut on_path: std::collections::HashSet<&Name> = std::collections::HashSet::new();
    for root in doc.fragments.keys() {
        let mut stack = vec![Step::Enter(root)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Exit(name) => {
                    on_path.remove(name);
                    if let Some(fragment) = doc.fragments.get(name) {
                        let m = measure_set(&fragment.node.selection_set.node, &memo);
                        memo.insert(name.clone(), m);
                    }
                }
                Step::Enter(name) if memo.contains_key(name) => {}
                // Entered and not yet left: it is on the current path.
                Step::Enter(name) if on_path.contains(name) => {
                    return Err(Unmeasurable::Cycle(name.to_string()));
                }
                Step::Enter(name) => {
                    let Some(fragment) = doc.fragments.get(name) else {
                        continue;
                    };
                    on_path.insert(name);
                    stack.push(Step::Exit(name));
                    let mut spreads = Vec::new();
                    spreads_in(&fragment.node.selection_set.node, &mut spreads);
                    stack.extend(spreads.into_iter().map(Step::Enter));
                }
            }
        }
    }
    Ok(memo)
}

/// The fragments a selection set spreads (not through other fragments).
fn spreads_in<'a>(set: &'a SelectionSet, out: &mut Vec<&'a Name>) {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => spreads_in(&f.node.selection_set.node, out),
            Selection::InlineFragment(i) => spreads_in(&i.node.selection_set.node, out),
            Selection::FragmentSpread(s) => out.push(&s.node.fragment_name.node),
        }
    }
}

/// One selection set's measure, its spreads read from `memo` (an unknown
/// fragment counts nothing: validation names it).
fn measure_set(set: &SelectionSet, memo: &HashMap<Name, Measure>) -> Measure {
    let mut total = Measure::default();
    for item in &set.items {
        let (inner, depth_step, alias) = match &item.node {
            Selection::Field(f) => (
                measure_set(&f.node.selection_set.node, memo),
                1,
                usize::from(f.node.alias.is_some()),
            ),
            Selection::InlineFragment(i) => (measure_set(&i.node.selection_set.node, memo), 0, 0),
            Selection::FragmentSpread(s) => (
                memo.get(&s.node.fragment_name.node)
                    .copied()
                    .unwrap_or_default(),
                0,
                0,
            ),
        };
        total.depth = total.depth.max(inner.depth + depth_step);
        total.nesting = total.nesting.max(inner.nesting + 1);
        total.aliases = total
            .aliases
            .saturating_add(inner.aliases.saturating_add(alias));
        total.selections = total
            .selections
            .saturating_add(inner.selections.saturating_add(1));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, leaf: &str, close: &str, depth: usize) -> String {
        format!("{}{leaf}{}", open.repeat(depth), close.repeat(depth))
    }

    fn code(e: ServerError) -> String {
        let json = serde_json::to_value(&e).unwrap_or_default();
        json["extensions"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    #[test]
    fn a_deep_list_literal_is_refused_by_its_text() {
        let q = format!(
            "{{ organisation(code: {}) {{ name }} }}",
            nested("[", "\"1\"", "]", 3000)
        );
        assert_eq!(
            check_text(&q).map_err(code),
            Err(VALUE_TOO_DEEP.to_string())
        );
        let q = format!(
            "{{ organisation(code: {}) {{ name }} }}",
            nested("[", "\"1\"", "]", 32)
        );
        assert_eq!(check_text(&q).map_err(code), Ok(()));
    }

    #[test]
    fn input_objects_and_defaults_count_as_values() {
        let deep = nested("{search: ", "\"x\"", "}", 40);
        let q = format!("{{ a(filter: {deep}) {{ b }} }}");
        assert_eq!(
            check_text(&q).map_err(code),
            Err(VALUE_TOO_DEEP.to_string())
        );
        let q = format!("query($v: [Int] = {}) {{ a }}", nested("[", "1", "]", 40));
        assert_eq!(
            check_text(&q).map_err(code),
            Err(VALUE_TOO_DEEP.to_string())
        );
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let noise = "[".repeat(5000);
        let q = format!(
            "# {noise}\n{{ a(s: \"{noise}\\\"{noise}\", t: \"\"\"{noise}\\\"\"\"{noise}\"\"\") {{ b }} }}"
        );
        assert_eq!(check_text(&q).map_err(code), Ok(()));
    }

    #[test]
    fn deep_selections_are_refused_by_their_text() {
        let q = nested("{ a ", "b", " }", 1000);
        assert_eq!(
            check_text(&q).map_err(code),
            Err(QUERY_TOO_DEEP.to_string())
        );
    }

    #[test]
    fn a_fragment_bomb_is_measured_without_expanding_it() {
        let mut q = String::from("{ ...F0 }\n");
        for i in 0..40 {
            q.push_str(&format!(
                "fragment F{i} on Query {{ ...F{} ...F{} }}\n",
                i + 1,
                i + 1
            ));
        }
        q.push_str("fragment F40 on Query { __typename }\n");
        let doc = async_graphql::parser::parse_query(&q).expect("parses");
        let m = measure(&doc).expect("no cycle");
        assert!(m.selections > MAX_EXPANDED_SELECTIONS);
        assert_eq!(m.depth, 1);
    }

    #[test]
    fn a_fragment_cycle_is_found() {
        let q = "{ ...A } fragment A on Query { ...B } fragment B on Query { a { ...A } }";
        let doc = async_graphql::parser::parse_query(q).expect("parses");
        assert!(matches!(measure(&doc), Err(Unmeasurable::Cycle(_))));
    }

    #[test]
    fn aliases_and_depth_through_fragments() {
        let q = "{ x: a { ...F } } fragment F on T { y: b { c } z: d }";
        let doc = async_graphql::parser::parse_query(q).expect("parses");
        let m = measure(&doc).expect("measured");
        assert_eq!((m.depth, m.aliases), (3, 3));
    }
}
