// The one gRPC server of a kartond process: modules add services to it, the
// kernel adds health, reflection and KernelService, and every call is logged
// and measured by an interceptor.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace grpc {
class Channel;
class Server;
class Service;
}  // namespace grpc

namespace karton::kernel {

class Metrics;

class GrpcHost {
 public:
  explicit GrpcHost(Metrics& metrics);
  ~GrpcHost();
  GrpcHost(const GrpcHost&) = delete;
  GrpcHost& operator=(const GrpcHost&) = delete;

  // Before Start() only. The caller keeps `service` alive until Shutdown().
  void AddService(grpc::Service& service, std::string full_name);
  // Binds "host:port" (port 0 picks a free one) and starts serving. Throws
  // std::runtime_error naming the address when it cannot be bound.
  void Start(const std::string& listen_address);
  // "host:port" with the port actually bound.
  std::string BoundAddress() const;
  // An in-process channel to this server (no socket, same services, same
  // interceptors). Valid after Start().
  std::shared_ptr<grpc::Channel> InProcessChannel();
  // Marks everything NOT_SERVING, stops accepting calls, lets in-flight calls
  // finish until `grace` has passed, then cancels the rest. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

 private:
  Metrics& metrics_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::string bound_address_;
  std::shared_ptr<grpc::Channel> in_process_channel_;
};

}  // namespace karton::kernel
