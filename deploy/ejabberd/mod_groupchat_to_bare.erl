%% mod_groupchat_to_bare: lets ejabberd accept muc-offline-proxy's copies.
%%
%% A copy is a groupchat message to a member's bare JID. ejabberd 23.01 (ejabberd_sm:do_route/1)
%% routes only chat, normal and headline messages to a bare JID and hands any other type to the
%% bounce_sm_packet hook, whose last handler answers <service-unavailable/>. This handler runs
%% before it, for groupchat messages only, and does what ejabberd does for a chat message:
%%   * a resource with non-negative priority is online: the message goes to the resource(s)
%%     of highest priority, `to` unchanged (RFC 6121 §8.5.2.1.1 lets a server choose);
%%   * none is: offline_message_hook runs, so mod_offline stores it when its option
%%     store_groupchat is true (and mod_push can notify), and bounces it otherwise.
-module(mod_groupchat_to_bare).
-behaviour(gen_mod).

-export([start/2, stop/1, reload/3, depends/2, mod_options/1, mod_doc/0]).
-export([bounce_sm_packet/1]).

-include("xmpp.hrl").

%% ejabberd_sm bounces at priority 100.
-define(PRIORITY, 50).

start(Host, _Opts) ->
    ejabberd_hooks:add(bounce_sm_packet, Host, ?MODULE, bounce_sm_packet, ?PRIORITY),
    ok.

stop(Host) ->
    ejabberd_hooks:delete(bounce_sm_packet, Host, ?MODULE, bounce_sm_packet, ?PRIORITY),
    ok.

reload(_Host, _NewOpts, _OldOpts) -> ok.
depends(_Host, _Opts) -> [].
mod_options(_Host) -> [].
mod_doc() -> #{desc => ["Delivers or stores groupchat messages sent to a bare JID."]}.

bounce_sm_packet({bounce, #message{type = groupchat,
                                   to = #jid{luser = User, lserver = Server,
                                             lresource = <<>>}} = Message} = Acc)
  when User /= <<>> ->
    case highest_priority_resources(User, Server) of
        [] ->
            case ejabberd_auth:user_exists(User, Server) of
                true ->
                    ejabberd_hooks:run_fold(offline_message_hook, Server,
                                            {bounce, Message}, []),
                    {stop, {delivered, Message}};
                false ->
                    Acc
            end;
        Resources ->
            lists:foreach(
              fun(Resource) ->
                      case ejabberd_sm:get_session_pid(User, Server, Resource) of
                          Pid when is_pid(Pid) -> ejabberd_c2s:route(Pid, {route, Message});
                          _ -> ok
                      end
              end, Resources),
            {stop, {delivered, Message}}
    end;
bounce_sm_packet(Acc) ->
    Acc.

highest_priority_resources(User, Server) ->
    Present = [{Priority, Resource}
               || {Priority, Resource} <- ejabberd_sm:get_user_present_resources(User, Server),
                  Priority >= 0],
    case Present of
        [] -> [];
        _ ->
            {Highest, _} = lists:max(Present),
            [Resource || {Priority, Resource} <- Present, Priority == Highest]
    end.
