# One image for every service; pick the service with the command, e.g.
#   docker run novamed-stream node services/ingress/dist/main.js
# (docker-compose.yml does this for each service).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json turbo.json ./
COPY packages ./packages
COPY services ./services
RUN npm ci --no-audit --no-fund && npx turbo run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 8080
CMD ["node", "services/ingress/dist/main.js"]
