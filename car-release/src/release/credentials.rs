//! Upload keys from CAR: DescribeCosCredential, asked again whenever the uploader needs
//! fresh keys.

use car_api::operations::{DescribeCosCredentialRequest, DescribeCosCredentialRequired};
use futures_util::future::BoxFuture;

use crate::cos::{CosCredentials, CosError, CredentialSource};

/// Where an upload goes and with which keys, as DescribeCosCredential answered.
#[derive(Clone)]
pub struct CarCosCredentials {
    client: car_api::Client,
    application_id: String,
}

impl CarCosCredentials {
    /// Keys for `application_id`'s pending version.
    pub fn new(client: car_api::Client, application_id: impl Into<String>) -> Self {
        CarCosCredentials {
            client,
            application_id: application_id.into(),
        }
    }

    /// One DescribeCosCredential call: the keys, and the bucket, region and object key.
    pub async fn describe(
        &self,
    ) -> Result<(CosCredentials, String, String, String), car_api::Error> {
        let r = self
            .client
            .describe_cos_credential(DescribeCosCredentialRequest::new(
                DescribeCosCredentialRequired {
                    application_id: self.application_id.clone(),
                },
            ))
            .await?;
        Ok((
            CosCredentials {
                secret_id: r.secret_id,
                secret_key: r.secret_key,
                session_token: Some(r.session_token),
                expired_time: Some(r.expired_time),
            },
            r.cos_bucket,
            r.cos_region,
            r.path.trim_start_matches('/').to_string(),
        ))
    }
}

impl CredentialSource for CarCosCredentials {
    fn fetch(&self) -> BoxFuture<'_, Result<CosCredentials, CosError>> {
        Box::pin(async move {
            self.describe()
                .await
                .map(|(c, ..)| c)
                .map_err(|e| CosError::Credentials(e.to_string()))
        })
    }
}
