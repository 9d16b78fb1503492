//! Internet-banking ID and password (인터넷뱅킹 ID·비밀번호). Five wrong in a row lock the
//! customer's internet banking until staff unlock it; a right one resets the count. The
//! Argon2id comparison runs before the write transaction, so a slow hash never holds the
//! store's write lock.

use dojang_store::Lockable;
use serde_json::{json, Map};

use super::challenge::{self, begin};
use crate::audit::Ctx;
use crate::enrol::normal_banking_id;
use crate::error::{IdentityError, LockedThing};
use crate::prompt::Prompt;
use crate::{messages, secret, Identity};

pub(crate) async fn start(id: &Identity, ctx: &Ctx<'_>) -> Result<Prompt, IdentityError> {
    let _ = begin(id, ctx).await?;
    let (ko, en) = messages::banking_login_prompt();
    Ok(Prompt::new(ctx.check, ko, en))
}

pub(crate) async fn answer(
    id: &Identity,
    ctx: &Ctx<'_>,
    login: &str,
    password: &str,
) -> Result<(), IdentityError> {
    let login = normal_banking_id(login);
    if login.is_empty() || password.is_empty() {
        return Err(challenge::malformed(id, ctx, "an ID and a password").await);
    }
    let Some(customer) = id.store.customer(ctx.customer_id).await? else {
        return Err(IdentityError::CustomerNotFound);
    };
    // The hash is checked even when the ID is wrong: both refusals take the same time.
    let password_ok = secret::verify_password(password, &customer.banking_password_hash)?;
    let id_ok = login == customer.banking_id;
    let (tx, _) = begin(id, ctx).await?;
    let lock = Lockable::BankingLogin { customer_id: ctx.customer_id };
    if id_ok && password_ok {
        return challenge::pass(tx, ctx, None, Some(&lock), json!({})).await;
    }
    let mut detail = Map::new();
    detail.insert("wrong".into(), (if id_ok { "password" } else { "id" }).into());
    Err(challenge::wrong(id, tx, ctx, None, Some((lock, LockedThing::BankingLogin)), detail).await)
}
