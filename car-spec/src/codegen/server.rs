//! The serving side of the spec: a trait with one async method per action and a
//! dispatcher from action name to method. The hand-written `crate::service` module of
//! `car-api` re-exports both and supplies `ServiceError` and the JSON helpers.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::doc_attrs;
use crate::validate::{Checked, CheckedAction};

/// The `CarService` trait and `dispatch`, in a private module `generated_service`.
pub(super) fn service(spec: &Checked) -> TokenStream {
    let methods = spec.actions.iter().map(trait_method);
    let arms = spec.actions.iter().map(dispatch_arm);
    let trait_doc = doc_attrs(&format!(
        "Serves {} ({}), API version {}: one method per action, each answering `UnsupportedOperation` until implemented.\n\nThe context type carries whatever the server knows about the caller (account, region, request ID); [`dispatch`] passes it through unchanged.",
        spec.service.title, spec.service.name, spec.service.version
    ));
    quote! {
        mod generated_service {
            #[allow(unused_imports)]
            use crate::operations::*;
            use crate::service::ServiceError;

            #trait_doc
            pub trait CarService: ::std::marker::Send + ::std::marker::Sync {
                /// What the server knows about the request beyond its parameters.
                type Context: ::std::marker::Send + ::std::marker::Sync;
                #(#methods)*
            }

            /// Decodes `params` as the request of `action`, calls the matching method of
            /// `service` and encodes its response members (without `RequestId`). An action
            /// the API does not have is `InvalidAction`; parameters that do not decode are
            /// `InvalidParameter`.
            pub async fn dispatch<S: CarService>(
                service: &S,
                context: &S::Context,
                action: &str,
                params: ::serde_json::Value,
            ) -> ::std::result::Result<::serde_json::Value, ServiceError> {
                match action {
                    #(#arms)*
                    other => ::std::result::Result::Err(ServiceError::invalid_action(other)),
                }
            }
        }
    }
}

fn trait_method(a: &CheckedAction) -> TokenStream {
    let method = format_ident!("{}", a.method);
    let req = format_ident!("{}Request", a.name);
    let resp = format_ident!("{}Response", a.name);
    let name = &a.name;
    let doc = doc_attrs(&format!("Serves `{}`: {}", a.name, a.doc));
    quote! {
        #doc
        fn #method(
            &self,
            context: &Self::Context,
            request: #req,
        ) -> impl ::std::future::Future<Output = ::std::result::Result<#resp, ServiceError>> + ::std::marker::Send {
            let _ = (context, request);
            async { ::std::result::Result::Err(ServiceError::unsupported(#name)) }
        }
    }
}

fn dispatch_arm(a: &CheckedAction) -> TokenStream {
    let method = format_ident!("{}", a.method);
    let req = format_ident!("{}Request", a.name);
    let name = &a.name;
    quote! {
        #name => {
            let request: #req = crate::service::decode_request(#name, params)?;
            let response = service.#method(context, request).await?;
            crate::service::encode_response(#name, &response)
        }
    }
}
