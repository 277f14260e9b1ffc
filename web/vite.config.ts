// Built into KARTON_WEB_OUT (tools/build-web: build/web), which kartond
// serves at /app/ (docs/web.md). Asset names carry a content hash, so
// kartond lets browsers cache them for good; index.html is revalidated.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/app/",
  build: {
    outDir: process.env.KARTON_WEB_OUT ?? "dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
  },
});
