# VideoAutoR1.Service container image.
#   CPU (default):  docker build -t videoautor1 .
#   GPU (CUDA):     docker build -t videoautor1:cuda --build-arg TORCH_BACKEND=cuda \
#                     --build-arg RUNTIME_BASE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 .
# The CUDA path selects libtorch-cuda-12.8-linux-x64 through -p:TorchBackend=cuda. That package is not served by the
# registry of the machine this repository is developed on, so the GPU image is UNTESTED here.
# Both bases are Ubuntu 24.04 (libstdc++ with GLIBCXX_3.4.32): the build's TorchSharp native patch stays silent there.

ARG RUNTIME_BASE=mcr.microsoft.com/dotnet/aspnet:10.0-noble

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
ARG TORCH_BACKEND=cpu
WORKDIR /src
COPY . .
RUN dotnet publish src/VideoAutoR1.Service -c Release -p:TorchBackend=${TORCH_BACKEND} -o /app \
 && dotnet publish src/VideoAutoR1.Cli -c Release -p:TorchBackend=${TORCH_BACKEND} -o /app/cli

FROM ${RUNTIME_BASE} AS runtime
ARG TORCH_BACKEND=cpu
# ffmpeg/ffprobe decode the videos; the .NET runtime is installed on the CUDA base, which lacks it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates curl \
 && if [ "${TORCH_BACKEND}" = "cuda" ]; then apt-get install -y --no-install-recommends aspnetcore-runtime-10.0; fi \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
COPY samples ./samples
ENV ASPNETCORE_URLS=http://+:8080 \
    VIDEOAUTOR1_CACHE=/models/cache \
    DOTNET_gcServer=0
VOLUME /models
EXPOSE 8080 8081
USER 1000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s CMD curl -fsS http://localhost:8080/healthz || exit 1
ENTRYPOINT ["dotnet", "VideoAutoR1.Service.dll"]
