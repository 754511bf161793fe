// muc-offline-proxy: run | check-config | replay | state
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "bus_error.hpp"
#include "config/config.hpp"
#include "replay_command.hpp"
#include "running_proxy.hpp"
#include "state_command.hpp"

namespace {

void set_up_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("muc-offline-proxy");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
}

std::optional<config::Config> load(const std::string& path) {
    config::ParseResult result = config::load_config_file(path);
    if (result.error) {
        std::cerr << "muc-offline-proxy: " << config_error_text(path, *result.error) << "\n";
        return std::nullopt;
    }
    return result.config;
}

int check_config(const std::string& path) {
    std::optional<config::Config> config = load(path);
    if (!config) return 1;
    std::cout << config::effective_config_json(*config) << "\n";
    return 0;
}

int run(const std::string& path, const std::string& capture) {
    std::optional<config::Config> config = load(path);
    if (!config) return 1;
    if (!capture.empty()) config->capture_path = capture;
    set_up_logging(config->log.level);
    // A peer that vanishes must cost one failed write, not the process.
    signal(SIGPIPE, SIG_IGN);

    uv_loop_t* loop = uv_default_loop();
    std::string error;
    auto store =
        store::SqliteStore::open(config->store.path, store::SqliteStore::Mode::read_write, error);
    if (!store) {
        spdlog::error("cannot start: {}", error);
        return 1;
    }
    if (config->store.path == ":memory:") {
        spdlog::warn("store.path is :memory:: registrations are lost when the proxy stops");
    } else {
        explain_bus_errors(config->store.path);
    }
    bool started = false;
    {
        RunningProxy proxy(loop, path, std::move(*config), std::move(store));
        started = proxy.start(error);
        if (!started) spdlog::error("cannot start: {}", error);
        uv_run(loop, UV_RUN_DEFAULT);
        if (started) {
            proxy.log_summary();
            spdlog::info("stopped");
        }
    }
    uv_loop_close(loop);
    return started ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"muc-offline-proxy: offline delivery for any MUC, on the XEP-0114 component link"};
    app.require_subcommand(1);

    std::string config_path;
    std::string capture_path;
    CLI::App* run_command = app.add_subcommand("run", "Run the proxy");
    run_command->add_option("-c,--config", config_path, "JSON config file")->required();
    run_command->add_option(
        "--capture", capture_path,
        "Record every chunk read on each link as JSON Lines (overrides config 'capture')");

    std::string check_path;
    CLI::App* check_command =
        app.add_subcommand("check-config", "Validate a config and print the effective one");
    check_command->add_option("file", check_path, "JSON config file")->required();

    std::string replay_capture_path, replay_config_path, replay_expect_path;
    CLI::App* replay =
        app.add_subcommand("replay", "Run a capture through the filters, print what they changed");
    replay->add_option("capture", replay_capture_path, "Capture file (JSON Lines)")->required();
    replay->add_option("-c,--config", replay_config_path,
                       "Config whose first link is used (default: feature defaults)");
    replay->add_option("--expect", replay_expect_path,
                       "Compare with this expectation file; exit 1 on a difference");

    StateCommandOptions state_options;
    CLI::App* state =
        app.add_subcommand("state", "Show, export or import the offline-delivery state");
    state->require_subcommand(1);
    auto add_store_options = [&](CLI::App* command) {
        command->add_option("-c,--config", state_options.config_path,
                            "Config whose store.path is used");
        command->add_option("--store", state_options.store_path,
                            "Store file (instead of --config)");
    };
    CLI::App* state_list_command =
        state->add_subcommand("list", "Registrations and who is present");
    add_store_options(state_list_command);
    state_list_command->add_option("--room", state_options.room, "Only this room");
    state_list_command->add_option("--jid", state_options.jid, "Only this member");
    CLI::App* state_export_command = state->add_subcommand("export", "Write the state as JSON");
    add_store_options(state_export_command);
    state_export_command->add_option("-o,--output", state_options.file,
                                     "Output file (default: stdout)");
    CLI::App* state_import_command =
        state->add_subcommand("import", "Read registrations from JSON (proxy stopped)");
    add_store_options(state_import_command);
    state_import_command->add_option("file", state_options.file, "JSON file (default: stdin)");

    CLI11_PARSE(app, argc, argv);
    if (state_list_command->parsed()) return state_list(state_options);
    if (state_export_command->parsed()) return state_export(state_options);
    if (state_import_command->parsed()) return state_import(state_options);
    if (replay->parsed())
        return replay_command(replay_capture_path, replay_config_path, replay_expect_path);
    if (run_command->parsed()) return run(config_path, capture_path);
    if (check_command->parsed()) return check_config(check_path);
    return 2;
}
