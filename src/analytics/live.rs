//! Live dashboards: a subscription (GraphQL over WebSocket, `/graphql/ws`)
//! that tells a client when the tracking report of its province changed.
//!
//! Every write is logged and notified (`LISTEN tidtam_data_changed`, on any
//! server process); once the applier has patched the frames, the
//! subscription recomputes the province's report and speaks only when the
//! report's figures differ from the last ones it sent.

use super::graphql::analytics;
use super::{tracking, Analytics};
use async_graphql::{Context, SimpleObject, Subscription};
use futures_util::stream::{self, Stream};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use tokio::sync::watch;

/// The tracking report of a province changed.
#[derive(SimpleObject, Clone, Debug)]
pub struct TrackingReportChange {
    pub fiscal_year: i32,
    pub province_code: String,
    /// The data version the report now reflects (as `monitoringReport.dataVersion`).
    pub data_version: i64,
}

#[derive(Default)]
pub struct AnalyticsSubscription;

#[Subscription]
impl AnalyticsSubscription {
    /// รายงานสถานะการทำงาน: sends the current data version at once, then one
    /// event each time the province's tracking report changes. Re-run
    /// `monitoringReport` (queries/tracking-report.graphql) on each event.
    async fn tracking_report_changed(
        &self,
        ctx: &Context<'_>,
        fiscal_year: i32,
        province_code: String,
    ) -> async_graphql::Result<impl Stream<Item = TrackingReportChange>> {
        let analytics = analytics(ctx)?.clone();
        crate::arguments::check_tracking(analytics.pool(), fiscal_year, &province_code).await?;
        let versions = analytics.subscribe();
        let watch = Watch {
            analytics,
            versions,
            fiscal_year,
            province_code,
            last: None,
        };
        Ok(stream::unfold(watch, |mut w| async move {
            let change = w.next_change().await?;
            Some((change, w))
        }))
    }
}

struct Watch {
    analytics: Arc<Analytics>,
    versions: watch::Receiver<i64>,
    fiscal_year: i32,
    province_code: String,
    /// The digest of the report last sent.
    last: Option<u64>,
}

impl Watch {
    /// The next change of the report; `None` ends the stream (server gone).
    async fn next_change(&mut self) -> Option<TrackingReportChange> {
        loop {
            if self.last.is_some() {
                self.versions.changed().await.ok()?;
            }
            match self.digest().await {
                Ok((digest, version)) if self.last != Some(digest) => {
                    self.last = Some(digest);
                    return Some(TrackingReportChange {
                        fiscal_year: self.fiscal_year,
                        province_code: self.province_code.clone(),
                        data_version: version,
                    });
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "live tracking report failed");
                    self.last.get_or_insert(0);
                }
            }
        }
    }

    /// A digest of the province's report and the version it was built from.
    async fn digest(&self) -> crate::error::AppResult<(u64, i64)> {
        let frames = self.analytics.frames(self.fiscal_year).await?;
        let f = frames.clone();
        let province = self.province_code.clone();
        let report = self
            .analytics
            .run(move || tracking::compute(&f, Some(&province)))
            .await?;
        let mut hasher = DefaultHasher::new();
        format!("{:?}{:?}", report.rows, report.province_totals).hash(&mut hasher);
        Ok((hasher.finish(), frames.version))
    }
}
