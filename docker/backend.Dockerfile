# The backend app of layerbench, for machines that can pull from a registry.
#
# The harness builds this automatically (image layerbench-backend:<version>-<content hash>) from a
# context holding only what the app needs at run time: package.json, the compiled modules reachable
# from dist/harness/backend/main.js, the production packages they import, and the gRPC .proto files. Without a registry it
# assembles the same files into an image offline instead (see docker/README.md).
#
# By hand, from the project root after `npm run build` (copies all of dist/ and node_modules/;
# run `npm prune --omit=dev` first for a smaller image):
#   docker build -f docker/backend.Dockerfile -t layerbench-backend:dev .
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY node_modules ./node_modules
COPY dist ./dist
COPY harness/backend/proto ./harness/backend/proto

# Every port is above 1024 and containers use host networking: no privileges needed.
USER node
ENTRYPOINT ["node", "/app/dist/harness/backend/main.js"]
LABEL layerbench="1" layerbench.build="registry"
