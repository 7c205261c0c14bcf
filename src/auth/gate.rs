//! The one place that decides which root fields a caller may run. Every
//! mutation is listed here with what it needs; one that is not listed is
//! refused, so a new mutation is closed until someone decides who may use it.
//! Which rows a caller reads or changes is then enforced by PostgreSQL
//! (row-level security, `session.rs`), so a resolver that forgets a check
//! still leaks nothing.

use super::{Access, Role};
use crate::error::AppError;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{PathSegment, ServerResult, Value};
use std::sync::Arc;

/// What a root field needs of its caller.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Anyone, signed in or not (reads still see only what their scope allows).
    Public,
    /// Any signed-in account.
    SignedIn,
    /// An officer or approver of the LAO whose data changes (or an administrator).
    WriteLao,
    /// An approver of the LAO (or an administrator).
    ApproveLao,
    /// An administrator.
    Admin,
}

/// What a root field of `parent` (`Query`, `Mutation`, `Subscription`) needs;
/// `None`: nobody may run it (a mutation nobody has classified).
pub fn permission_of(parent: &str, field: &str) -> Option<Permission> {
    use Permission::*;
    let needed = match (parent, field) {
        ("Mutation", "signIn") => Public,
        ("Mutation", "signOut" | "createApiToken" | "revokeApiToken") => SignedIn,
        ("Mutation", "createAccount" | "disableAccount" | "setScoreWeights") => Admin,
        ("Mutation", "approvePlan" | "approveBudget" | "reopenReport") => ApproveLao,
        (
            "Mutation",
            "createDevelopmentPlan"
            | "addPlanProject"
            | "updatePlanProject"
            | "amendPlan"
            | "linkElaasItem"
            | "createReport"
            | "updateReport"
            | "setReportGoals"
            | "setReportLocation"
            | "submitReport"
            | "recordProgress"
            | "completeReport"
            | "importElaasSnapshot"
            | "confirmElaasLink"
            | "autoLinkElaas",
        ) => WriteLao,
        ("Mutation", _) => return None,
        // Reads and subscriptions: row-level security decides what each sees.
        _ => Public,
    };
    Some(needed)
}

impl Access {
    /// Whether this caller holds `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        let role = self.role();
        match permission {
            Permission::Public => true,
            Permission::SignedIn => role.is_some(),
            Permission::WriteLao => matches!(
                role,
                Some(Role::LaoOfficer | Role::LaoApprover | Role::Admin)
            ),
            Permission::ApproveLao => matches!(role, Some(Role::LaoApprover | Role::Admin)),
            Permission::Admin => role == Some(Role::Admin),
        }
    }
}

/// The refusal of a root field the caller may not run.
pub fn refusal(access: &Access, field: &str) -> AppError {
    if access.account.is_none() {
        AppError::Unauthenticated(format!(
            "`{field}` needs a signed-in account / ต้องเข้าสู่ระบบก่อนใช้ {field}"
        ))
    } else {
        AppError::Forbidden(format!(
            "your role may not use `{field}` / บทบาทของคุณใช้ {field} ไม่ได้"
        ))
    }
}

/// The extension that checks every root field against [`permission_of`].
pub struct Gate;

impl ExtensionFactory for Gate {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GateExtension)
    }
}

struct GateExtension;

#[async_trait::async_trait]
impl Extension for GateExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let root = info.path_node.parent.is_none();
        if root && !info.name.starts_with("__") {
            let anonymous = Access::anonymous();
            let access = ctx.data_opt::<Access>().unwrap_or(&anonymous);
            let allowed =
                permission_of(info.parent_type, info.name).is_some_and(|needed| access.may(needed));
            if !allowed {
                let mut err = refusal(access, info.name).server_error();
                err.path = vec![PathSegment::Field(
                    info.alias.unwrap_or(info.name).to_string(),
                )];
                return Err(err);
            }
        }
        next.run(ctx, info).await
    }
}
