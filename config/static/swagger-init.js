// The API docs' page (/api/docs): Swagger UI on the OpenAPI document the page carries as data
// (config/app.py, _SwaggerPage), with Litestar's own options; a file, as the CSP runs no inline script.
"use strict";

(function () {
  const spec = JSON.parse(document.getElementById("openapi").textContent);
  const ui = SwaggerUIBundle({
    spec,
    dom_id: "#swagger-container",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
  ui.initOAuth({});
})();
