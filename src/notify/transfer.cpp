// The one client for outgoing transfers: libcurl's multi interface, its sockets watched by
// the Asio reactor (CURLMOPT_SOCKETFUNCTION) and its timeouts on an Asio timer
// (CURLMOPT_TIMERFUNCTION), all on the io_context's thread. The only file using libcurl
// (loaded on first use: transfer_curl.hpp).

#include "notify/transfer.hpp"

#include "notify/transfer_curl.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <charconv>
#include <ctime>
#include <map>
#include <mutex>
#include <variant>

#include <fmt/format.h>

namespace portwatch::notify {

namespace asio = boost::asio;

namespace {

/// Retry-After as seconds from now: a delta ("120") or an HTTP date; nullopt when unusable.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view v) {
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) {
        v.remove_prefix(1);
    }
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) {
        v.remove_suffix(1);
    }
    if (v.empty()) {
        return std::nullopt;
    }
    long long n = 0;
    auto const [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec == std::errc() && end == v.data() + v.size()) {
        return n < 0 ? std::nullopt : std::optional(std::chrono::seconds(n));
    }
    std::string const s(v);
    auto const when = curl::lib().getdate(s.c_str(), nullptr);
    if (when < 0) {
        return std::nullopt;
    }
    auto const now = std::time(nullptr);
    return std::chrono::seconds(when > now ? when - now : 0);
}

/// Options both kinds of transfer share.
void common_options(CURL* easy, std::chrono::milliseconds timeout, TransferTls const& tls,
                    char* error_buffer) {
    auto const ms = std::max<long>(1, static_cast<long>(timeout.count()));
    curl::lib().easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl::lib().easy_setopt(easy, CURLOPT_TIMEOUT_MS, ms);
    curl::lib().easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, ms);
    curl::lib().easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
    curl::lib().easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
    curl::lib().easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
    if (!tls.ca_file.empty()) {
        curl::lib().easy_setopt(easy, CURLOPT_CAINFO, tls.ca_file.c_str());
    }
}

struct SlistDeleter {
    void operator()(curl_slist* l) const { curl::lib().slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void append(Slist& list, std::string const& s) {
    auto* l = curl::lib().slist_append(list.get(), s.c_str());
    if (l == nullptr) {
        throw std::bad_alloc();
    }
    (void)list.release();
    list.reset(l);
}

}  // namespace

/// One transfer in flight: its easy handle and what its callbacks fill in.
struct Transfer {
    CURL* easy = nullptr;
    char error[CURL_ERROR_SIZE] = {};
    Slist headers;  ///< HTTP headers or SMTP recipients
    std::string upload;
    std::size_t upload_offset = 0;
    std::size_t max_body = 0;
    HttpResponse response;
    std::string retry_after;
    std::variant<std::function<void(HttpResponse)>, std::function<void(MailResult)>> done;

    ~Transfer() {
        if (easy != nullptr) {
            curl::lib().easy_cleanup(easy);
        }
    }

    static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* self) {
        auto* t = static_cast<Transfer*>(self);
        auto const bytes = size * n;
        auto const room = t->max_body - std::min(t->max_body, t->response.body.size());
        t->response.body.append(data, std::min(room, bytes));
        return bytes;  // the rest is read and dropped
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self) {
        auto* t = static_cast<Transfer*>(self);
        std::string_view const line(data, size * n);
        if (line.starts_with("HTTP/")) {
            t->retry_after.clear();  // a new response (after 100 Continue, say)
        } else if (line.size() > 12) {
            std::string name(line.substr(0, 12));
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return std::tolower(c); });
            if (name == "retry-after:") {
                t->retry_after = std::string(line.substr(12));
            }
        }
        return size * n;
    }

    static std::size_t on_read(char* buffer, std::size_t size, std::size_t n, void* self) {
        auto* t = static_cast<Transfer*>(self);
        auto const count = std::min(size * n, t->upload.size() - t->upload_offset);
        std::copy_n(t->upload.data() + t->upload_offset, count, buffer);
        t->upload_offset += count;
        return count;
    }
};

struct TransferClient::Impl : std::enable_shared_from_this<Impl> {
    /// A socket curl asked us to watch; `id` tells a reused descriptor number apart.
    struct Watch {
        std::unique_ptr<asio::posix::stream_descriptor> fd;
        std::uint64_t id = 0;
        int what = CURL_POLL_NONE;
        bool reading = false;
        bool writing = false;
    };

    explicit Impl(asio::io_context& io_) : io(io_), timer(io_) {
        if (!curl::load_error().empty()) {
            return;  // every transfer fails with load_error(), loudly, and stays pending
        }
        multi = curl::lib().multi_init();
        if (multi == nullptr) {
            throw std::bad_alloc();
        }
        curl::lib().multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
        curl::lib().multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
        curl::lib().multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
        curl::lib().multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    }

    ~Impl() {
        if (multi == nullptr) {
            return;
        }
        // Curl's descriptors are curl's to close: release them from the reactor first.
        stopping = true;
        for (auto& [s, w] : watches) {
            (void)w.fd->release();
        }
        watches.clear();
        for (auto& [easy, t] : transfers) {
            curl::lib().multi_remove_handle(multi, easy);
        }
        transfers.clear();
        curl::lib().multi_cleanup(multi);
    }

    static int on_socket(CURL*, curl_socket_t s, int what, void* self, void*) {
        static_cast<Impl*>(self)->watch(s, what);
        return 0;
    }

    static int on_timer(CURLM*, long timeout_ms, void* self) {
        static_cast<Impl*>(self)->arm_timer(timeout_ms);
        return 0;
    }

    void watch(curl_socket_t s, int what) {
        if (stopping) {
            return;
        }
        if (what == CURL_POLL_REMOVE) {
            if (auto const it = watches.find(s); it != watches.end()) {
                // Cancels its waits (their handlers see another id or none) without closing.
                (void)it->second.fd->release();
                watches.erase(it);
            }
            return;
        }
        auto it = watches.find(s);
        if (it == watches.end()) {
            Watch w;
            w.fd = std::make_unique<asio::posix::stream_descriptor>(io, s);
            w.id = ++next_watch_id;
            it = watches.emplace(s, std::move(w)).first;
        }
        it->second.what = what;
        arm(s, it->second);
    }

    void arm(curl_socket_t s, Watch& w) {
        std::weak_ptr<Impl> weak = shared_from_this();
        if ((w.what & CURL_POLL_IN) && !w.reading) {
            w.reading = true;
            w.fd->async_wait(asio::posix::stream_descriptor::wait_read,
                             [weak, s, id = w.id](boost::system::error_code ec) {
                                 if (auto self = weak.lock()) {
                                     self->ready(s, id, ec, CURL_CSELECT_IN);
                                 }
                             });
        }
        if ((w.what & CURL_POLL_OUT) && !w.writing) {
            w.writing = true;
            w.fd->async_wait(asio::posix::stream_descriptor::wait_write,
                             [weak, s, id = w.id](boost::system::error_code ec) {
                                 if (auto self = weak.lock()) {
                                     self->ready(s, id, ec, CURL_CSELECT_OUT);
                                 }
                             });
        }
    }

    /// A watched socket is readable or writable (or its wait ended with `ec`).
    void ready(curl_socket_t s, std::uint64_t id, boost::system::error_code ec, int event) {
        auto it = watches.find(s);
        if (it == watches.end() || it->second.id != id) {
            return;  // released meanwhile; the number may belong to a new socket now
        }
        (event == CURL_CSELECT_IN ? it->second.reading : it->second.writing) = false;
        int const wanted = event == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT;
        if (!(it->second.what & wanted)) {
            return;
        }
        int running = 0;
        curl::lib().multi_socket_action(multi, s, ec ? CURL_CSELECT_ERR : event, &running);
        collect();
        // Watch on while curl still wants this socket.
        if (it = watches.find(s); it != watches.end() && it->second.id == id) {
            arm(s, it->second);
        }
    }

    void arm_timer(long timeout_ms) {
        if (stopping) {
            return;
        }
        if (timeout_ms < 0) {
            timer.cancel();
            return;
        }
        timer.expires_after(std::chrono::milliseconds(timeout_ms));
        std::weak_ptr<Impl> weak = shared_from_this();
        timer.async_wait([weak](boost::system::error_code ec) {
            auto self = weak.lock();
            if (ec || !self) {
                return;
            }
            int running = 0;
            curl::lib().multi_socket_action(self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
            self->collect();
        });
    }

    /// Finishes the transfers curl reports done; their completions are posted.
    void collect() {
        int left = 0;
        while (CURLMsg* msg = curl::lib().multi_info_read(multi, &left)) {
            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            auto const it = transfers.find(msg->easy_handle);
            if (it == transfers.end()) {
                continue;
            }
            auto const code = msg->data.result;
            std::shared_ptr<Transfer> t = std::move(it->second);
            transfers.erase(it);
            curl::lib().multi_remove_handle(multi, t->easy);
            std::weak_ptr<Impl> weak = shared_from_this();
            asio::post(io, [weak, t, code] {
                if (weak.lock()) {
                    finish(*t, code);
                }
            });
        }
    }

    static void finish(Transfer& t, CURLcode code) {
        long status = 0;
        curl::lib().easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
        std::string error;
        if (code != CURLE_OK) {
            error = t.error[0] != '\0' ? std::string(t.error) : curl::lib().easy_strerror(code);
        }
        bool const timed_out = code == CURLE_OPERATION_TIMEDOUT;
        if (auto* done = std::get_if<std::function<void(HttpResponse)>>(&t.done)) {
            auto r = std::move(t.response);
            r.transport_error = std::move(error);
            r.timed_out = timed_out;
            r.status = static_cast<int>(status);
            if (r.transport_error.empty() && (r.status == 429 || r.status == 503)) {
                r.retry_after = parse_retry_after(t.retry_after);
            }
            if (!r.transport_error.empty()) {
                r.status = 0;
            }
            (*done)(std::move(r));
        } else {
            auto& mail_done = std::get<std::function<void(MailResult)>>(t.done);
            mail_done(MailResult{.error = std::move(error),
                                 .timed_out = timed_out,
                                 .smtp_code = static_cast<int>(status)});
        }
    }

    /// Hands a set-up transfer to curl, or reports why it cannot start.
    void start(std::shared_ptr<Transfer> t) {
        if (auto const rc = curl::lib().multi_add_handle(multi, t->easy); rc != CURLM_OK) {
            std::string const reason = curl::lib().multi_strerror(rc);
            fail(std::move(t), reason);
            return;
        }
        transfers.emplace(t->easy, std::move(t));
    }

    void fail(std::shared_ptr<Transfer> t, std::string reason) {
        std::weak_ptr<Impl> weak = shared_from_this();
        asio::post(io, [weak, t = std::move(t), reason = std::move(reason)] {
            if (!weak.lock()) {
                return;
            }
            if (auto* done = std::get_if<std::function<void(HttpResponse)>>(&t->done)) {
                (*done)(HttpResponse{.transport_error = reason});
            } else {
                std::get<std::function<void(MailResult)>>(t->done)(MailResult{.error = reason});
            }
        });
    }

    asio::io_context& io;
    asio::steady_timer timer;
    CURLM* multi = nullptr;
    bool stopping = false;
    std::uint64_t next_watch_id = 0;
    std::map<curl_socket_t, Watch> watches;
    std::map<CURL*, std::shared_ptr<Transfer>> transfers;
};

TransferClient::TransferClient(asio::io_context& io) : impl_(std::make_shared<Impl>(io)) {}

TransferClient::~TransferClient() = default;

std::size_t TransferClient::active() const {
    return impl_->transfers.size();
}

namespace {

/// A transfer with its easy handle, or null after its completion was posted with why not.
template <class Done>
std::shared_ptr<Transfer> new_transfer(auto& impl, Done done) {
    auto t = std::make_shared<Transfer>();
    t->done = std::move(done);
    if (!curl::load_error().empty()) {
        impl->fail(std::move(t), curl::load_error());
        return nullptr;
    }
    t->easy = curl::lib().easy_init();
    if (t->easy == nullptr) {
        impl->fail(std::move(t), "cannot create a transfer");
        return nullptr;
    }
    return t;
}

}  // namespace

void TransferClient::http(HttpRequest request, std::function<void(HttpResponse)> done) {
    auto t = new_transfer(impl_, std::move(done));
    if (!t) {
        return;
    }
    auto* easy = t->easy;
    t->upload = std::move(request.body);
    t->max_body = request.max_response_bytes;
    common_options(easy, request.timeout, request.tls, t->error);
    curl::lib().easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl::lib().easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl::lib().easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
    curl::lib().easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
    curl::lib().easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
    curl::lib().easy_setopt(easy, CURLOPT_HEADERDATA, t.get());
    if (request.method == "GET" && t->upload.empty()) {
        curl::lib().easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else {
        curl::lib().easy_setopt(easy, CURLOPT_POSTFIELDS, t->upload.c_str());
        curl::lib().easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                                static_cast<curl_off_t>(t->upload.size()));
        if (request.method != "POST") {
            curl::lib().easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        }
    }
    for (auto const& [name, value] : request.headers) {
        append(t->headers, fmt::format("{}: {}", name, value));
    }
    append(t->headers, "Expect:");  // no 100-continue round trip
    curl::lib().easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers.get());
    impl_->start(std::move(t));
}

void TransferClient::mail(MailRequest request, std::function<void(MailResult)> done) {
    auto t = new_transfer(impl_, std::move(done));
    if (!t) {
        return;
    }
    auto* easy = t->easy;
    t->upload = std::move(request.message);
    common_options(easy, request.timeout, request.tls, t->error);
    curl::lib().easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl::lib().easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (request.starttls && request.url.starts_with("smtp://")) {
        curl::lib().easy_setopt(easy, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    }
    if (!request.username.empty()) {
        curl::lib().easy_setopt(easy, CURLOPT_USERNAME, request.username.c_str());
        curl::lib().easy_setopt(easy, CURLOPT_PASSWORD, request.password.c_str());
    }
    auto const from = fmt::format("<{}>", request.from);
    curl::lib().easy_setopt(easy, CURLOPT_MAIL_FROM, from.c_str());  // curl copies strings
    for (auto const& to : request.to) {
        append(t->headers, fmt::format("<{}>", to));
    }
    curl::lib().easy_setopt(easy, CURLOPT_MAIL_RCPT, t->headers.get());
    curl::lib().easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl::lib().easy_setopt(easy, CURLOPT_READFUNCTION, &Transfer::on_read);
    curl::lib().easy_setopt(easy, CURLOPT_READDATA, t.get());
    curl::lib().easy_setopt(easy, CURLOPT_INFILESIZE_LARGE,
                            static_cast<curl_off_t>(t->upload.size()));
    impl_->start(std::move(t));
}

namespace {

/// Keeps the client of an io_context while some notifier holds it.
class ClientService : public asio::execution_context::service {
  public:
    using key_type = ClientService;
    static inline asio::execution_context::id id;
    explicit ClientService(asio::execution_context& ctx) : service(ctx) {}
    std::weak_ptr<TransferClient> client;

  private:
    void shutdown() override {}
};

}  // namespace

std::shared_ptr<TransferClient> TransferClient::of(asio::io_context& io) {
    auto& service = asio::use_service<ClientService>(io);
    auto client = service.client.lock();
    if (!client) {
        client = std::make_shared<TransferClient>(io);
        service.client = client;
    }
    return client;
}

}  // namespace portwatch::notify
