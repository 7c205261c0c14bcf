//! Relay's `Node` interface and the `node(id)` root field.

use crate::budget::BudgetApproval;
use crate::db::loader::{load_one, ById};
use crate::elaas::ElaasItem;
use crate::organisations::graphql::ProvinceLoader;
use crate::organisations::{Organisation, Province};
use crate::plans::{DevelopmentPlan, PlanProject};
use crate::reports::ProjectReport;
use crate::strategy::PlanNode;
use crate::types::global_id;
use async_graphql::{dataloader::DataLoader, Context, Interface, Object, ID};

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Relay global id."))]
pub enum Node {
    Province(Province),
    Organisation(Organisation),
    PlanNode(PlanNode),
    DevelopmentPlan(DevelopmentPlan),
    PlanProject(PlanProject),
    BudgetApproval(BudgetApproval),
    ElaasItem(ElaasItem),
    ProjectReport(ProjectReport),
}

/// The `node` root field.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when there is none.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let Some((type_name, key)) = global_id::decode(&id) else {
            return Ok(None);
        };
        if type_name == "Province" {
            let loader = ctx.data::<DataLoader<ProvinceLoader>>()?;
            let found = loader.load_one(key).await.map_err(crate::error::internal)?;
            return Ok(found.map(Node::Province));
        }
        let Ok(key) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(match type_name.as_str() {
            "Organisation" => load_one::<ById<Organisation>, _>(ctx, key)
                .await?
                .map(Node::Organisation),
            "PlanNode" => load_one::<ById<PlanNode>, _>(ctx, key)
                .await?
                .map(Node::PlanNode),
            "DevelopmentPlan" => load_one::<ById<DevelopmentPlan>, _>(ctx, key)
                .await?
                .map(Node::DevelopmentPlan),
            "PlanProject" => load_one::<ById<PlanProject>, _>(ctx, key)
                .await?
                .map(Node::PlanProject),
            "BudgetApproval" => load_one::<ById<BudgetApproval>, _>(ctx, key)
                .await?
                .map(Node::BudgetApproval),
            "ElaasItem" => load_one::<ById<ElaasItem>, _>(ctx, key)
                .await?
                .map(Node::ElaasItem),
            "ProjectReport" => load_one::<ById<ProjectReport>, _>(ctx, key)
                .await?
                .map(Node::ProjectReport),
            _ => None,
        })
    }
}
