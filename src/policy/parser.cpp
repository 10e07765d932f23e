#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "policy/parse_internal.h"
#include "policy/policy.h"

namespace vigil::policy {
namespace {

Diagnostic file_error(const std::string& file, uint32_t line, uint32_t column, std::string message) {
    return make_diagnostic(Severity::Error, SourcePos{file, line, column, ""}, std::move(message));
}

// Thrown by StreamCheck with the position to report.
struct StreamProblem {
    YAML::Mark mark;
    std::string message;
};

// A first pass over the YAML events, before any node is built. yaml-cpp
// 0.7 loops forever, allocating empty documents, on some malformed input
// (e.g. a ',' at the start of a line outside a flow collection); a
// document that starts where the previous one started means no progress.
// The pass also bounds the number of events and documents.
class StreamCheck : public YAML::EventHandler {
public:
    static constexpr size_t kMaxEvents = 2'000'000;
    static constexpr size_t kMaxDocuments = 1000;

    void OnDocumentStart(const YAML::Mark& mark) override {
        if (documents_ > 0 && mark.pos == last_start_.pos) {
            throw StreamProblem{mark,
                                "invalid YAML: the reader cannot make progress here (a stray ',', ']' "
                                "or '}' outside a [..] or {..} collection?)"};
        }
        if (++documents_ > kMaxDocuments) {
            throw StreamProblem{mark,
                                "more than " + std::to_string(kMaxDocuments) + " documents in one file"};
        }
        last_start_ = mark;
        bump(mark);
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& m, YAML::anchor_t) override { bump(m); }
    void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { bump(m); }
    void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override {
        bump(m);
    }
    void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        bump(m);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        bump(m);
    }
    void OnMapEnd() override {}

private:
    void bump(const YAML::Mark& m) {
        if (++events_ > kMaxEvents) {
            throw StreamProblem{m, "the YAML stream has more than " + std::to_string(kMaxEvents) + " nodes"};
        }
    }
    size_t events_ = 0;
    size_t documents_ = 0;
    YAML::Mark last_start_;
};

void check_stream(const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    StreamCheck check;
    while (parser.HandleNextDocument(check)) {
    }
}

void parse_documents(const std::string& text, const std::string& file, ParseResult& out) {
    check_stream(text);
    std::vector<YAML::Node> docs = YAML::LoadAll(text);
    Reader r(file, out.diagnostics);
    for (const auto& doc : docs) {
        if (r.exhausted()) break;
        if (doc.IsNull()) continue;  // empty document, e.g. a leading or trailing '---'
        const size_t before = out.diagnostics.size();
        auto p = detail::parse_document(r, doc);
        if (p) detail::validate_policy(r, *p);
        const std::vector<Diagnostic> added(out.diagnostics.begin() + static_cast<long>(before),
                                            out.diagnostics.end());
        if (p && !has_blocking(added)) out.policies.push_back(std::move(*p));
    }
}

}  // namespace

ParseResult parse_policies(std::string_view text, std::string file_name) {
    ParseResult out;
    if (text.size() > kMaxPolicyFileBytes) {
        out.diagnostics.push_back(file_error(file_name, 0, 0,
                                             "policy text is " + std::to_string(text.size()) +
                                                 " bytes; at most " + std::to_string(kMaxPolicyFileBytes) +
                                                 " are accepted"));
        return out;
    }
    try {
        parse_documents(std::string(text), file_name, out);
    } catch (const StreamProblem& e) {
        out.policies.clear();
        out.diagnostics.push_back(file_error(file_name, static_cast<uint32_t>(e.mark.line + 1),
                                             static_cast<uint32_t>(e.mark.column + 1), e.message));
    } catch (const YAML::Exception& e) {
        // Syntax errors carry the position where the YAML reader stopped.
        const uint32_t line = e.mark.line >= 0 ? static_cast<uint32_t>(e.mark.line) + 1 : 0;
        const uint32_t col = e.mark.column >= 0 ? static_cast<uint32_t>(e.mark.column) + 1 : 0;
        out.policies.clear();
        out.diagnostics.push_back(file_error(file_name, line, col, "invalid YAML: " + e.msg));
    } catch (const std::exception& e) {
        out.policies.clear();
        out.diagnostics.push_back(
            file_error(file_name, 0, 0, std::string("cannot read policy: ") + e.what()));
    }
    return out;
}

namespace {

ParseResult load_file(const std::string& path) {
    ParseResult out;
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) {
        out.diagnostics.push_back(file_error(
            path, 0, 0, "cannot open policy file: " + (ec ? ec.message() : std::string("no such file"))));
        return out;
    }
    if (!std::filesystem::is_regular_file(status)) {
        out.diagnostics.push_back(file_error(path, 0, 0, "not a regular file"));
        return out;
    }
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > kMaxPolicyFileBytes) {
        out.diagnostics.push_back(file_error(path, 0, 0,
                                             "file is " + std::to_string(size) +
                                                 " bytes; policy files are "
                                                 "limited to " +
                                                 std::to_string(kMaxPolicyFileBytes) + " bytes"));
        return out;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out.diagnostics.push_back(file_error(path, 0, 0, "cannot open policy file for reading"));
        return out;
    }
    // Read at most one byte past the limit: the file may grow after stat().
    std::string text(kMaxPolicyFileBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    return parse_policies(text, path);
}

}  // namespace

ParseResult load_policy_file(const std::string& path) {
    try {
        return load_file(path);
    } catch (const std::exception& e) {
        ParseResult out;
        out.diagnostics.push_back(file_error(path, 0, 0, std::string("cannot read policy file: ") + e.what()));
        return out;
    }
}

}  // namespace vigil::policy
