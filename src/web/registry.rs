//! Route registration that records what it registers: every `configure`
//! function adds its routes through a [`Registry`], which hands them to actix
//! and notes each `(method, path pattern)`. [`crate::web::routes::registered_routes`]
//! lists them, so a test can check that its table covers every route.

use actix_web::guard::Guard;
use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, Responder, Route, Scope};

/// Registers routes with actix and records each `(method, path pattern)`.
pub struct Registry<'a> {
    cfg: &'a mut web::ServiceConfig,
    prefix: String,
    recorded: Vec<(Method, String)>,
    fallback: Option<fn() -> Route>,
}

impl<'a> Registry<'a> {
    /// A registry adding to `cfg`.
    pub fn new(cfg: &'a mut web::ServiceConfig) -> Self {
        Registry {
            cfg,
            prefix: String::new(),
            recorded: Vec::new(),
            fallback: None,
        }
    }

    /// What answers the methods a resource's routes do not take, where its
    /// endpoint sets nothing of its own (instead of actix's empty 405).
    pub fn with_fallback(mut self, fallback: fn() -> Route) -> Self {
        self.fallback = Some(fallback);
        self
    }

    /// `method path` answered by `handler`, as `ServiceConfig::route` does:
    /// a resource of its own, guarded by the method, so that other methods
    /// fall through to later registrations of the same path.
    pub fn route<F, Args>(&mut self, method: Method, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.recorded
            .push((method.clone(), format!("{}{path}", self.prefix)));
        // HEAD is answered like GET, without the body (actix drops it).
        if method == Method::GET {
            self.cfg
                .route(path, web::method(Method::HEAD).to(handler.clone()));
        }
        self.cfg.route(path, web::method(method).to(handler));
        self
    }

    /// `GET path`; see [`Registry::route`].
    pub fn get<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, path, handler)
    }

    /// `POST path`; see [`Registry::route`].
    pub fn post<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, path, handler)
    }

    /// A resource: one path and the methods it answers; any other method
    /// gets the resource's default service (405 unless it sets one).
    pub fn service(&mut self, endpoint: Endpoint) -> &mut Self {
        let mut resource = endpoint.resource;
        if let Some(refuse) = endpoint.refuse_other_methods {
            let mut allow: Vec<&str> = Vec::new();
            for method in &endpoint.methods {
                if !allow.contains(&method.as_str()) {
                    allow.push(method.as_str());
                }
                if *method == Method::GET && !allow.contains(&"HEAD") {
                    allow.push("HEAD");
                }
            }
            let allow = allow.join(", ");
            resource = resource.default_service(refuse(allow));
        } else if let Some(fallback) = self.fallback {
            resource = resource.default_service(fallback());
        }
        for method in endpoint.methods {
            self.recorded
                .push((method, format!("{}{}", self.prefix, endpoint.path)));
        }
        self.cfg.service(resource);
        self
    }

    /// The routes `routes` adds, under `prefix`; `finish` adds what applies
    /// to the whole scope (such as its default service).
    pub fn scope(
        &mut self,
        prefix: &str,
        routes: impl FnOnce(&mut Registry<'_>),
        finish: impl FnOnce(Scope) -> Scope,
    ) -> &mut Self {
        let full = format!("{}{prefix}", self.prefix);
        let mut recorded = Vec::new();
        let fallback = self.fallback;
        let scope = web::scope(prefix).configure(|cfg| {
            let mut inner = Registry {
                cfg,
                prefix: full,
                recorded: Vec::new(),
                fallback,
            };
            routes(&mut inner);
            recorded = inner.recorded;
        });
        self.cfg.service(finish(scope));
        self.recorded.extend(recorded);
        self
    }

    /// Everything registered so far.
    pub fn into_recorded(self) -> Vec<(Method, String)> {
        self.recorded
    }
}

/// A resource being built for [`Registry::service`]: its path, its routes
/// and the methods they answer.
pub struct Endpoint {
    path: String,
    resource: actix_web::Resource,
    methods: Vec<Method>,
    refuse_other_methods: Option<Box<dyn FnOnce(String) -> Route>>,
}

impl Endpoint {
    /// A resource at `path` with no routes yet.
    pub fn new(path: &str) -> Self {
        Endpoint {
            path: path.to_owned(),
            resource: web::resource(path),
            methods: Vec::new(),
            refuse_other_methods: None,
        }
    }

    /// `method` answered by `route`, which the endpoint builds from the
    /// method so the two cannot disagree.
    pub fn route(mut self, method: Method, route: impl FnOnce(Route) -> Route) -> Self {
        self.resource = self.resource.route(route(web::method(method.clone())));
        self.methods.push(method);
        self
    }

    /// `method` answered by `handler`.
    pub fn to<F, Args>(mut self, method: Method, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        // HEAD is answered like GET, without the body (actix drops it).
        if method == Method::GET {
            self.resource = self
                .resource
                .route(web::method(Method::HEAD).to(handler.clone()));
        }
        self.route(method, |route| route.to(handler))
    }

    /// `GET` answered by `handler`.
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.to(Method::GET, handler)
    }

    /// `POST` answered by `handler`.
    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.to(Method::POST, handler)
    }

    /// `POST` answered by `handler` when `guard` lets the request through.
    pub fn post_if<F, Args>(self, guard: impl Guard + 'static, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, |route| route.guard(guard).to(handler))
    }

    /// `DELETE` answered by `handler`.
    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.to(Method::DELETE, handler)
    }

    /// What answers the methods no route takes (instead of actix's 405).
    pub fn default_service(mut self, route: Route) -> Self {
        self.resource = self.resource.default_service(route);
        self
    }

    /// What answers the methods no route takes, built once every method is
    /// known from the value of the `Allow` header it must send (RFC 9110
    /// § 15.5.6), such as `GET, POST`.
    pub fn refuse_other_methods(mut self, refuse: impl FnOnce(String) -> Route + 'static) -> Self {
        self.refuse_other_methods = Some(Box::new(refuse));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn ok() -> &'static str {
        "ok"
    }

    #[test]
    fn every_route_is_recorded_with_its_scope_and_methods() {
        let mut recorded = Vec::new();
        let _ = actix_web::App::new().configure(|cfg| {
            let mut routes = Registry::new(cfg);
            routes.get("/a", ok).post("/a/{id}", ok);
            routes.service(Endpoint::new("/b").get(ok).delete(ok));
            routes.scope(
                "/api",
                |api| {
                    api.service(Endpoint::new("/c").post(ok));
                },
                |scope| scope,
            );
            recorded = routes.into_recorded();
        });
        let recorded: Vec<(&str, &str)> = recorded
            .iter()
            .map(|(m, p)| (m.as_str(), p.as_str()))
            .collect();
        assert_eq!(
            recorded,
            [
                ("GET", "/a"),
                ("POST", "/a/{id}"),
                ("GET", "/b"),
                ("DELETE", "/b"),
                ("POST", "/api/c"),
            ]
        );
    }
}
