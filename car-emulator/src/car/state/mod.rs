//! The state behind all 33 CAR actions: applications and their versions (with the
//! package processing that follows an upload), projects, concurrency packages, sessions
//! and stream pushes, kept in the emulator's SQLite store and owned per account.
//!
//! Time comes from the injected [`Clock`]: work that takes time on the real service
//! (processing a package, deleting a version, a reservation's lock) is recorded with the
//! moment it is due and settled when state is next read, so nothing sleeps and a test
//! moves a [`crate::ManualClock`] forward instead. Choices where CAR's real behaviour is
//! unknown are listed in the crate's `BEHAVIOUR.md`.

mod applications;
mod cos_credential;
mod db;
mod packages;
mod processing;
mod projects;
mod sessions;
mod streams;
mod versions;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use car_api::operations::*;
use car_api::service::{CarService, ServiceError};

use crate::car::CallContext;
use crate::clock::Clock;
use crate::store::{Store, StoreError};

pub use processing::PROCESSING_SECONDS;
pub use sessions::RESERVATION_SECONDS;
pub use versions::{DELETION_SECONDS, MAX_VERSIONS};

/// Distinct SQL statements the state prepares, with headroom.
const STATEMENT_CACHE: usize = 128;

/// The COS bucket that DescribeCosCredential hands out and packages are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosSettings {
    /// Bucket name with its APPID suffix (`name-appid`).
    pub bucket: String,
    /// The bucket's region, e.g. `ap-guangzhou`.
    pub region: String,
}

/// The emulator's CAR state; serve it with [`car_api::service::dispatch`].
///
/// Every action runs to completion without awaiting: SQLite and package reads are
/// synchronous. Clones share one store, so a server can move a clone onto a blocking
/// thread for actions that commit (a synced write takes milliseconds).
#[derive(Clone)]
pub struct CarState {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    cos: CosSettings,
    /// Seconds between CreateApplicationSnapshot and the processing result.
    processing_seconds: i64,
    /// Shared by clones: what the last settling found (see `processing::settle`).
    horizon: Arc<Mutex<Option<processing::Horizon>>>,
}

impl std::fmt::Debug for CarState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarState")
            .field("store", &self.store)
            .field("cos", &self.cos)
            .field("processing_seconds", &self.processing_seconds)
            .finish_non_exhaustive()
    }
}

impl CarState {
    /// Opens the state kept in `store`, creating its tables on first use.
    pub fn open(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        cos: CosSettings,
    ) -> Result<CarState, StoreError> {
        for schema in [
            crate::objects::SCHEMA,
            crate::grants::SCHEMA,
            applications::SCHEMA,
            versions::SCHEMA,
            projects::SCHEMA,
            packages::SCHEMA,
            sessions::SCHEMA,
        ] {
            store.ensure_schema(schema)?;
        }
        // Room for every statement the state runs, so none is parsed again per request.
        store.read(|c| {
            c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            Ok(())
        })?;
        Ok(CarState {
            store,
            clock,
            cos,
            processing_seconds: PROCESSING_SECONDS,
            horizon: Arc::default(),
        })
    }

    /// How long a package takes to process after CreateApplicationSnapshot (default
    /// [`PROCESSING_SECONDS`]). The clock counts whole seconds, so a fraction is rounded
    /// up; zero settles the version on the next read.
    pub fn with_processing_delay(mut self, delay: Duration) -> CarState {
        let whole = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        self.processing_seconds = i64::try_from(whole).unwrap_or(i64::MAX);
        self
    }

    fn now(&self) -> i64 {
        self.clock.unix_seconds()
    }
}

macro_rules! serve {
    ($($method:ident($request:ty) -> $response:ty => $module:ident::$handler:ident;)*) => {
        impl CarService for CarState {
            type Context = CallContext;
            $(
                async fn $method(
                    &self,
                    context: &CallContext,
                    request: $request,
                ) -> Result<$response, ServiceError> {
                    $module::$handler(self, context, request)
                }
            )*
        }
    };
}

serve! {
    create_application(CreateApplicationRequest) -> CreateApplicationResponse => applications::create;
    modify_application_base_info(ModifyApplicationBaseInfoRequest) -> ModifyApplicationBaseInfoResponse => applications::modify_base_info;
    modify_mobile_application_info(ModifyMobileApplicationInfoRequest) -> ModifyMobileApplicationInfoResponse => applications::modify_mobile_info;
    delete_application(DeleteApplicationRequest) -> DeleteApplicationResponse => applications::delete;
    describe_application_list(DescribeApplicationListRequest) -> DescribeApplicationListResponse => applications::list;
    describe_application_status(DescribeApplicationStatusRequest) -> DescribeApplicationStatusResponse => applications::status;
    create_application_version(CreateApplicationVersionRequest) -> CreateApplicationVersionResponse => versions::create;
    describe_application_version(DescribeApplicationVersionRequest) -> DescribeApplicationVersionResponse => versions::describe;
    modify_application_version(ModifyApplicationVersionRequest) -> ModifyApplicationVersionResponse => versions::modify;
    delete_application_version(DeleteApplicationVersionRequest) -> DeleteApplicationVersionResponse => versions::delete;
    set_application_version_online(SetApplicationVersionOnlineRequest) -> SetApplicationVersionOnlineResponse => versions::set_online;
    describe_cos_credential(DescribeCosCredentialRequest) -> DescribeCosCredentialResponse => cos_credential::describe;
    create_application_snapshot(CreateApplicationSnapshotRequest) -> CreateApplicationSnapshotResponse => processing::create_snapshot;
    describe_application_path_list(DescribeApplicationPathListRequest) -> DescribeApplicationPathListResponse => processing::path_list;
    describe_application_file_info(DescribeApplicationFileInfoRequest) -> DescribeApplicationFileInfoResponse => processing::file_info;
    create_application_project(CreateApplicationProjectRequest) -> CreateApplicationProjectResponse => projects::create;
    modify_application_project(ModifyApplicationProjectRequest) -> ModifyApplicationProjectResponse => projects::modify;
    delete_application_projects(DeleteApplicationProjectsRequest) -> DeleteApplicationProjectsResponse => projects::delete;
    describe_application_projects(DescribeApplicationProjectsRequest) -> DescribeApplicationProjectsResponse => projects::list;
    describe_application_project_advanced_config(DescribeApplicationProjectAdvancedConfigRequest) -> DescribeApplicationProjectAdvancedConfigResponse => projects::advanced_config;
    describe_concurrent_packages(DescribeConcurrentPackagesRequest) -> DescribeConcurrentPackagesResponse => packages::list;
    describe_concurrent_summary(DescribeConcurrentSummaryRequest) -> DescribeConcurrentSummaryResponse => packages::summary;
    describe_concurrent_count(DescribeConcurrentCountRequest) -> DescribeConcurrentCountResponse => packages::count;
    bind_concurrent_packages_to_project(BindConcurrentPackagesToProjectRequest) -> BindConcurrentPackagesToProjectResponse => packages::bind;
    unbind_concurrent_packages_from_project(UnbindConcurrentPackagesFromProjectRequest) -> UnbindConcurrentPackagesFromProjectResponse => packages::unbind;
    modify_concurrent_package(ModifyConcurrentPackageRequest) -> ModifyConcurrentPackageResponse => packages::modify;
    reset_concurrent_packages(ResetConcurrentPackagesRequest) -> ResetConcurrentPackagesResponse => packages::reset;
    apply_concurrent(ApplyConcurrentRequest) -> ApplyConcurrentResponse => sessions::apply;
    create_session(CreateSessionRequest) -> CreateSessionResponse => sessions::create;
    destroy_session(DestroySessionRequest) -> DestroySessionResponse => sessions::destroy;
    start_publish_stream(StartPublishStreamRequest) -> StartPublishStreamResponse => streams::start;
    start_publish_stream_with_url(StartPublishStreamWithURLRequest) -> StartPublishStreamWithURLResponse => streams::start_with_url;
    stop_publish_stream(StopPublishStreamRequest) -> StopPublishStreamResponse => streams::stop;
}
