#include "probe/tcp.hpp"

namespace portwatch::probe {

TcpKind const tcp_kind;

}  // namespace portwatch::probe
