#include "failure.hpp"

#include <boost/system/system_error.hpp>
#include <new>

namespace cli {

exit_status describe(std::exception_ptr e) noexcept {
  if (!e) return {};
  try {
    try {
      std::rethrow_exception(e);
    } catch (const failure& f) {
      return {f.code, f.what()};
    } catch (const boost::system::system_error& s) {
      return {exit_code::io_error, "connection lost: " + s.code().message()};
    } catch (const std::bad_alloc&) {
      return {exit_code::software, "internal error: out of memory"};
    } catch (const std::exception& x) {
      return {exit_code::software, std::string("internal error: ") + x.what()};
    } catch (...) {
      return {exit_code::software, "internal error: unknown exception"};
    }
  } catch (...) {
    // Building the text itself failed (out of memory): the code still holds.
    return {exit_code::software, {}};
  }
}

int report(std::ostream& err, std::string_view program, std::exception_ptr failure) {
  const auto why = describe(failure);
  err << program << ": " << why.message << std::endl;
  return why.code;
}

}  // namespace cli
