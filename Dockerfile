# VideoAutoR1.Service container image, CPU (default) or CUDA.
#
#   CPU:   docker build -t videoautor1:latest .
#   CUDA:  docker build -t videoautor1:cuda --build-arg TORCH_BACKEND=cuda .
#   GPU host check, one command: loads the model on the GPU, answers the bundled sample clip and prints the device,
#   the dtype and prefill/decode tokens/s (exit 1 with one line when libtorch sees no CUDA device):
#     docker run --rm --gpus all -v /models:/models:ro videoautor1:cuda \
#       dotnet cli/videoautor1.dll device-check --model /models/VideoAuto-R1-Qwen2.5-VL-7B
#     (without --model it checks the small default model; --device cuda:1, --dtype float16, --tokens N also work)
#
# The CUDA path end to end:
#   1. build: `dotnet publish -p:TorchBackend=cuda` references the NuGet package libtorch-cuda-12.8-linux-x64 2.10.0
#      (libtorch 2.10 built for CUDA 12.8, with its CUDA math libraries) instead of libtorch-cpu-linux-x64; TorchSharp
#      0.107.0 is the same managed binding for both (Directory.Packages.props, build/Torch.props).
#   2. runtime: nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 (CUDA 12.8 user space) plus the ASP.NET Core 10 runtime
#      copied from Microsoft's image. The host needs an NVIDIA driver new enough for CUDA 12.8 (R570+) and the NVIDIA
#      Container Toolkit (`--gpus`, or the device plugin on Kubernetes).
#   3. run with Engine__Device=cuda:0 and Engine__DType=bfloat16 (deploy/k8s/overlays/gpu sets both).
# UNTESTED: the registry this repository is developed against does not serve libtorch-cuda-12.8-linux-x64, and the
# development machine has neither a GPU nor a Docker engine, so no image has been built here and the CUDA path has
# never run. Both bases are Ubuntu 24.04 (libstdc++ with GLIBCXX_3.4.32): the build's TorchSharp native patch stays silent.
#
# Ports: 8080 HTTP/1.1 (REST, SSE, OpenAI, /metrics, probes), 8081 HTTP/2 cleartext (gRPC). They come from
# appsettings.json's Kestrel:Endpoints, which take precedence over ASPNETCORE_URLS; move them with
# Kestrel__Endpoints__Http__Url / Kestrel__Endpoints__Grpc__Url.

ARG TORCH_BACKEND=cpu

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
ARG TORCH_BACKEND
WORKDIR /src
COPY . .
RUN dotnet publish src/VideoAutoR1.Service -c Release -p:TorchBackend=${TORCH_BACKEND} -o /app \
 && dotnet publish src/VideoAutoR1.Cli -c Release -p:TorchBackend=${TORCH_BACKEND} -o /app/cli

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS runtime-cpu

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS runtime-cuda
COPY --from=runtime-cpu /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && apt-get update && apt-get install -y --no-install-recommends libicu74 && rm -rf /var/lib/apt/lists/*
ENV DOTNET_ROOT=/usr/share/dotnet

FROM runtime-${TORCH_BACKEND} AS runtime
# ffmpeg/ffprobe decode the videos; curl serves the HEALTHCHECK.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
COPY samples ./samples
# The default model (videoauto-r1-mini) ships in /app/default-model; /models is where a mounted checkpoint goes.
ENV DOTNET_gcServer=0
VOLUME /models
EXPOSE 8080 8081
USER 1000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s CMD curl -fsS http://localhost:8080/healthz || exit 1
ENTRYPOINT ["dotnet", "VideoAutoR1.Service.dll"]
