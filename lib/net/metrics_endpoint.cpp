#include "net/metrics_endpoint.hpp"

#include <http_parser.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <string_view>

#include "metrics/exposition.hpp"
#include "net/close_handles.hpp"
#include "net/tcp_server.hpp"
namespace net {
namespace {

constexpr std::size_t kReadBufferBytes = 4096;

struct Response {
    int status;
    std::string_view reason;
    std::string_view content_type;
    std::string body;
};

std::string serialize(const Response& response, bool head_only, bool keep_alive) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                      std::string(response.reason) +
                      "\r\nContent-Type: " + std::string(response.content_type) +
                      "\r\nContent-Length: " + std::to_string(response.body.size()) +
                      "\r\nCache-Control: no-store\r\n";
    if (response.status == 405) out += "Allow: GET, HEAD\r\n";
    out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (!head_only) out += response.body;
    return out;
}

struct WriteRequest {
    uv_write_t request{};
    std::string bytes;
};

}  // namespace

struct MetricsEndpoint::Connection {
    MetricsEndpoint& owner;
    Connections::iterator position;  // in owner.connections_
    uv_tcp_t tcp{};
    // One deadline at a time: idle between requests, or the current request's.
    uv_timer_t deadline{};
    http_parser parser{};
    std::string url;
    std::size_t request_bytes = 0;  // request line, headers and body of the current request
    bool in_request = false;        // its first byte came, its last not yet
    bool too_large = false;
    bool close_after_write = false;
    bool closing = false;
    int writes_in_flight = 0;
    bool started = false;  // the deadline timer is initialized
    char buffer[kReadBufferBytes];

    explicit Connection(MetricsEndpoint& endpoint) : owner(endpoint) {
        tcp.data = this;
        deadline.data = this;
        parser.data = this;
    }

    static Connection& of(http_parser* parser) { return *static_cast<Connection*>(parser->data); }

    // Every piece of a request counts against one bound: a scraper sends a few hundred bytes.
    bool count(std::size_t length) {
        request_bytes += length;
        if (request_bytes <= kMaxRequestHeadBytes) return true;
        too_large = true;
        return false;
    }

    static const http_parser_settings& settings() {
        static const http_parser_settings value = [] {
            http_parser_settings s;
            http_parser_settings_init(&s);
            s.on_message_begin = [](http_parser* p) {
                Connection& c = of(p);
                c.url.clear();
                c.request_bytes = 0;
                // The whole request must come within the deadline: each byte that trickles in
                // does not buy more time (slowloris).
                c.in_request = true;
                c.start_deadline(c.owner.limits_.request_timeout_ms);
                return 0;
            };
            s.on_url = [](http_parser* p, const char* at, size_t length) {
                Connection& c = of(p);
                if (!c.count(length)) return 1;
                c.url.append(at, length);
                return 0;
            };
            s.on_header_field = [](http_parser* p, const char*, size_t length) {
                return of(p).count(length) ? 0 : 1;
            };
            s.on_header_value = [](http_parser* p, const char*, size_t length) {
                return of(p).count(length) ? 0 : 1;
            };
            s.on_body = [](http_parser* p, const char*, size_t length) {
                return of(p).count(length) ? 0 : 1;
            };
            s.on_message_complete = [](http_parser* p) {
                Connection& c = of(p);
                c.in_request = false;
                c.start_deadline(c.owner.limits_.idle_timeout_ms);
                c.owner.note_progress(c);
                c.answer();
                return 0;
            };
            return s;
        }();
        return value;
    }

    void start() {
        http_parser_init(&parser, HTTP_REQUEST);
        parser.data = this;
        uv_timer_init(owner.loop_, &deadline);
        started = true;
        start_deadline(owner.limits_.idle_timeout_ms);
        uv_read_start(
            reinterpret_cast<uv_stream_t*>(&tcp),
            [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
                auto* c = static_cast<Connection*>(handle->data);
                *buf = uv_buf_init(c->buffer, sizeof c->buffer);
            },
            [](uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
                static_cast<Connection*>(stream->data)->on_read(nread);
            });
    }

    void start_deadline(std::uint64_t ms) {
        uv_timer_start(
            &deadline,
            [](uv_timer_t* timer) {
                auto* c = static_cast<Connection*>(timer->data);
                if (c->owner.counters_ != nullptr)
                    ++(c->in_request ? c->owner.counters_->request_timeout
                                     : c->owner.counters_->idle_timeout);
                c->close();
            },
            ms, 0);
    }

    // Not mid-response: waiting for a request, or receiving one.
    bool evictable() const { return !closing && writes_in_flight == 0; }

    void on_read(ssize_t nread) {
        if (nread == 0) return;
        if (nread < 0) {
            close();
            return;
        }
        const auto length = static_cast<std::size_t>(nread);
        const std::size_t parsed = http_parser_execute(&parser, &settings(), buffer, length);
        if (closing || close_after_write) return;
        if (parser.http_errno != HPE_OK || parsed != length) {
            // The request is broken or too large: answer once and hang up.
            uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp));
            Response response =
                too_large
                    ? Response{431, "Request Header Fields Too Large", "text/plain; charset=utf-8",
                               "request too large\n"}
                    : Response{
                          400, "Bad Request", "text/plain; charset=utf-8",
                          std::string("bad request: ") +
                              http_errno_description(static_cast<http_errno>(parser.http_errno)) +
                              "\n"};
            close_after_write = true;
            write(serialize(response, false, false));
        }
    }

    void answer() {
        const bool head = parser.method == HTTP_HEAD;
        const std::string_view path = std::string_view(url).substr(0, url.find('?'));
        Response response{404, "Not Found", "text/plain; charset=utf-8", "not found\n"};
        if (parser.method != HTTP_GET && !head) {
            response = {405, "Method Not Allowed", "text/plain; charset=utf-8",
                        "only GET and HEAD\n"};
        } else if (path == "/metrics") {
            response = {200, "OK", metrics::Exposition::kContentType, owner.pages_.metrics()};
        } else if (path == "/healthz") {
            HealthReport report = owner.pages_.health();
            response =
                report.healthy
                    ? Response{200, "OK", "text/plain; charset=utf-8", std::move(report.text)}
                    : Response{503, "Service Unavailable", "text/plain; charset=utf-8",
                               std::move(report.text)};
        }
        const bool keep_alive = http_should_keep_alive(&parser) != 0 && !owner.stopping_;
        if (!keep_alive) {
            close_after_write = true;
            uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp));
            http_parser_pause(&parser, 1);
        }
        write(serialize(response, head, keep_alive));
    }

    void write(std::string bytes) {
        auto* request = new WriteRequest{{}, std::move(bytes)};
        request->request.data = this;
        uv_buf_t buf =
            uv_buf_init(request->bytes.data(), static_cast<unsigned int>(request->bytes.size()));
        ++writes_in_flight;
        int rc = uv_write(&request->request, reinterpret_cast<uv_stream_t*>(&tcp), &buf, 1,
                          [](uv_write_t* done, int status) {
                              auto* finished = reinterpret_cast<WriteRequest*>(done);
                              auto* c = static_cast<Connection*>(done->data);
                              delete finished;
                              --c->writes_in_flight;
                              if (status != 0 || (c->close_after_write && c->writes_in_flight == 0))
                                  c->close();
                          });
        if (rc != 0) {
            --writes_in_flight;
            delete request;
            close();
        }
    }

    void close() {
        if (closing) return;
        closing = true;
        if (started) --owner.open_connections_;
        close_handles({as_handle(&tcp), started ? as_handle(&deadline) : nullptr},
                      [this] { owner.forget(this); });
    }
};

MetricsEndpoint::MetricsEndpoint(uv_loop_t* loop, config::Endpoint listen, MetricsPages pages,
                                 MetricsEndpointLimits limits, MetricsEndpointCounters* counters)
    : loop_(loop),
      listen_(std::move(listen)),
      pages_(std::move(pages)),
      limits_(limits),
      counters_(counters != nullptr ? counters : &own_counters_) {
    server_.data = this;
}

MetricsEndpoint::~MetricsEndpoint() = default;

bool MetricsEndpoint::start(std::string& error) {
    const std::string where = "metrics.listen " + config::describe_endpoint(listen_);
    sockaddr_storage address{};
    std::string why;
    if (!resolve_listen_address(listen_.host, listen_.port, address, why)) {
        error = where + ": " + why;
        return false;
    }
    uv_tcp_init(loop_, &server_);
    server_open_ = true;
    const int rc = bind_and_listen(
        server_, reinterpret_cast<const sockaddr*>(&address), [](uv_stream_t* server, int status) {
            static_cast<MetricsEndpoint*>(server->data)->on_connection(status);
        });
    if (rc != 0) {
        error = where + ": " + uv_strerror(rc);
        return false;
    }
    spdlog::info("metrics: serving /metrics and /healthz on http://{}/",
                 config::describe_endpoint(listen_));
    return true;
}

std::uint16_t MetricsEndpoint::bound_port() const {
    return net::bound_port(server_);
}

void MetricsEndpoint::on_connection(int status) {
    if (status != 0 || stopping_) return;
    const bool room = make_room();
    auto connection = std::make_unique<Connection>(*this);
    uv_tcp_init(loop_, &connection->tcp);
    Connection& accepted = *connection;
    accepted.position = connections_.insert(connections_.end(), std::move(connection));
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&server_),
                  reinterpret_cast<uv_stream_t*>(&accepted.tcp)) != 0 ||
        !room) {
        if (!room) ++counters_->refused;
        // Not started: only the socket is open.
        accepted.close();
        return;
    }
    ++open_connections_;
    accepted.start();
}

bool MetricsEndpoint::make_room() {
    if (open_connections_ < limits_.max_connections) return true;
    // The list runs from the least recent progress: a client that never completes a request
    // stays at the front, a scraper that keeps its connection moves back at each scrape.
    for (auto& connection : connections_) {
        if (!connection->evictable()) continue;
        ++counters_->evicted;
        connection->close();
        return true;
    }
    return false;
}

void MetricsEndpoint::note_progress(Connection& connection) {
    connections_.splice(connections_.end(), connections_, connection.position);
}

void MetricsEndpoint::forget(Connection* connection) {
    connections_.erase(connection->position);
    check_closed();
}

void MetricsEndpoint::stop(std::function<void()> on_closed) {
    stopping_ = true;
    on_closed_ = std::move(on_closed);
    for (auto& connection : connections_) connection->close();
    if (server_open_) {
        close_handles({as_handle(&server_)}, [this] {
            server_open_ = false;
            check_closed();
        });
    } else {
        check_closed();
    }
}

// Every caller returns right after: `on_closed_` may destroy this endpoint.
void MetricsEndpoint::check_closed() {
    if (!stopping_ || server_open_ || !connections_.empty() || !on_closed_) return;
    auto done = std::move(on_closed_);
    on_closed_ = nullptr;
    done();
}

}  // namespace net
