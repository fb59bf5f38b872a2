/**
 * Where the backend's `.proto` files live: `harness/backend/proto/` under the project root, the
 * same from the TypeScript sources, from `dist/` and inside the backend image (whose app root
 * holds that folder beside `dist/`). A module of its own, free of gRPC imports, so the image
 * builder can name the files without loading gRPC.
 */

/** The folder of the backend's protocol definitions, relative to the project (or app) root. */
export const BACKEND_PROTO_DIR = 'harness/backend/proto'

/** The files in {@link BACKEND_PROTO_DIR}: the echo service and grpc.health.v1. */
export const BACKEND_PROTO_FILES = ['echo.proto', 'health.proto'] as const
