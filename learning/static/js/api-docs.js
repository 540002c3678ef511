// Starts the vendored Swagger UI on /api/v1/docs. A file of its own: the Content-Security-Policy
// forbids inline scripts. Nothing is fetched from the internet (no online validator badge).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("api-reference");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    tryItOutEnabled: false,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
