# tempoflow worker image: Node 20 with bash and Python 3 for stages.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 bash util-linux && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY conf ./conf
ENTRYPOINT ["node", "dist/src/cli/main.js"]
