# Ferry API and worker image (docker-compose.yml runs it twice with different commands).
# Node 24 LTS, the version Ferry is tested on (package.json engines: >= 22).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Exactly the lock file (it lists every platform's optional packages, @swc/core's included).
RUN npm ci --no-audit --no-fund
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
RUN npx prisma generate
COPY src ./src
RUN npm run build && npm prune --omit=dev
# Native code for fast transfers (native/sha256, ssh2's crypto binding); the
# worker falls back to JavaScript if this build fails, so it does not fail the image.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY native ./native
COPY scripts/build-native.sh ./scripts/
COPY scripts/lib ./scripts/lib
RUN bash scripts/build-native.sh

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# Two malloc arenas: lower, steadier peak RSS for the worker (README, notes).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/native ./native
COPY --from=build /app/src/generated ./src/generated
COPY package.json prisma.config.ts ./
COPY prisma ./prisma
COPY bin ./bin
USER node
EXPOSE 8080 9464
CMD ["node", "dist/src/api/main.js"]
