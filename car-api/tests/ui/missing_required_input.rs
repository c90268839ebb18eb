// Forgetting a required member of a request is a compile error that names it.
use car_api::operations::{CreateSessionRequest, CreateSessionRequired};

fn main() {
    let _ = CreateSessionRequest::new(CreateSessionRequired {
        user_id: "user-1".into(),
    });
}
