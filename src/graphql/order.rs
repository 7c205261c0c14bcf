//! Answers list each object's keys in the order of the selection set, as the
//! GraphQL spec asks (people and snapshot tests read them so).
//!
//! async-graphql 7.2 resolves an object's fields concurrently and keeps
//! them in the order they finish (a field that waits on a loader comes
//! after the plain ones), so this extension puts every object of the
//! answer back in the order of its selection (fragments where they are
//! spread), once per operation, after it ran. It sits in the schema, so
//! every door has it: HTTP, batches, persisted queries, the WebSocket, the
//! tests' direct calls. The HTTP layer then writes the answer without
//! going through `serde_json::Value`, whose map sorts keys.

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Response, ServerResult, Value, Variables};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The extension.
pub struct SelectionOrder;

impl ExtensionFactory for SelectionOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OrderExtension::default())
    }
}

#[derive(Default)]
struct OrderExtension {
    /// The request's document, as parsed.
    document: Mutex<Option<ExecutableDocument>>,
}

#[async_trait::async_trait]
impl Extension for OrderExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Ok(mut slot) = self.document.lock() {
            *slot = Some(document.clone());
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let document = self.document.lock().ok().and_then(|d| d.clone());
        if let Some(document) = document {
            reorder(&mut response.data, &document, operation_name);
        }
        response
    }
}

/// Puts `data`'s objects in the order of the operation's selection sets.
pub fn reorder(data: &mut Value, document: &ExecutableDocument, operation_name: Option<&str>) {
    let operation = document
        .operations
        .iter()
        .find(|(name, _)| match operation_name {
            Some(wanted) => name.map(|n| n.as_str()) == Some(wanted),
            None => true,
        });
    let Some((_, operation)) = operation else {
        return;
    };
    let plan = Plan::of(&[&operation.node.selection_set.node], document, 0);
    plan.apply(data);
}

/// The order of one level's keys, and the plan of each key's value.
#[derive(Default)]
struct Plan {
    position: HashMap<String, usize>,
    children: HashMap<String, Plan>,
}

/// Deeper than any document the limits let through (src/graphql/limits.rs).
const MAX_LEVELS: usize = 64;

impl Plan {
    fn of(sets: &[&SelectionSet], document: &ExecutableDocument, level: usize) -> Plan {
        let mut keys: Vec<String> = Vec::new();
        let mut below: HashMap<String, Vec<&SelectionSet>> = HashMap::new();
        let mut pending: Vec<&SelectionSet> = sets.iter().rev().copied().collect();
        // Depth first, in document order: a fragment's fields take their
        // place where it is spread.
        let mut stack: Vec<std::slice::Iter<'_, async_graphql::Positioned<Selection>>> = Vec::new();
        if let Some(first) = pending.pop() {
            stack.push(first.items.iter());
        }
        let mut spread = 0usize;
        loop {
            let Some(items) = stack.last_mut() else {
                match pending.pop() {
                    Some(set) => {
                        stack.push(set.items.iter());
                        continue;
                    }
                    None => break,
                }
            };
            let Some(item) = items.next() else {
                stack.pop();
                continue;
            };
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = field
                        .alias
                        .as_ref()
                        .map(|a| a.node.to_string())
                        .unwrap_or_else(|| field.name.node.to_string());
                    if !below.contains_key(&key) {
                        keys.push(key.clone());
                    }
                    below
                        .entry(key)
                        .or_default()
                        .push(&field.selection_set.node);
                }
                Selection::FragmentSpread(s) => {
                    spread += 1;
                    if spread > 10_000 || stack.len() > MAX_LEVELS {
                        continue;
                    }
                    if let Some(fragment) = document.fragments.get(&s.node.fragment_name.node) {
                        stack.push(fragment.node.selection_set.node.items.iter());
                    }
                }
                Selection::InlineFragment(f) => {
                    if stack.len() <= MAX_LEVELS {
                        stack.push(f.node.selection_set.node.items.iter());
                    }
                }
            }
        }
        let mut children = HashMap::new();
        if level < MAX_LEVELS {
            for (key, sets) in &below {
                if sets.iter().any(|s| !s.items.is_empty()) {
                    children.insert(key.clone(), Plan::of(sets, document, level + 1));
                }
            }
        }
        Plan {
            position: keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect(),
            children,
        }
    }

    fn apply(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                let position = |k: &async_graphql::Name| {
                    self.position.get(k.as_str()).copied().unwrap_or(usize::MAX)
                };
                let sorted = map
                    .keys()
                    .zip(map.keys().skip(1))
                    .all(|(a, b)| position(a) <= position(b));
                if !sorted {
                    map.sort_by(|a, _, b, _| position(a).cmp(&position(b)));
                }
                for (key, child) in map.iter_mut() {
                    if let Some(plan) = self.children.get(key.as_str()) {
                        plan.apply(child);
                    }
                }
            }
            Value::List(items) => {
                for item in items {
                    self.apply(item);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_follow_the_selection_with_fragments_where_spread() {
        let document = async_graphql::parser::parse_query(
            "query Q { b a: x { ...F z } c } fragment F on X { y ... on X { w } }",
        )
        .unwrap();
        let mut data = Value::from_json(serde_json::json!({
            "c": 3,
            "a": [{"z": 1, "w": 2, "y": 0}, null],
            "b": 1
        }))
        .unwrap();
        reorder(&mut data, &document, None);
        assert_eq!(
            serde_json::to_string(&data).unwrap(),
            r#"{"b":1,"a":[{"y":0,"w":2,"z":1},null],"c":3}"#
        );
    }
}
