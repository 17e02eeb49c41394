<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>ChatActions</name>
    <message numerus="yes">
        <source>%Ln oldest message(s) left out</source>
        <translation>
            <numerusform>%Ln oldest message left out</numerusform>
            <numerusform>%Ln oldest messages left out</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ChatTransferActions</name>
    <message numerus="yes">
        <source>%Ln message(s)</source>
        <translation>
            <numerusform>%Ln message</numerusform>
            <numerusform>%Ln messages</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Imported %Ln chat(s) ({messages}) from a {format} export.</source>
        <translation>
            <numerusform>Imported %Ln chat ({messages}) from a {format} export.</numerusform>
            <numerusform>Imported %Ln chats ({messages}) from a {format} export.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Skipped %Ln part(s) that are not text ({kinds}).</source>
        <translation>
            <numerusform>Skipped %Ln part that is not text ({kinds}).</numerusform>
            <numerusform>Skipped %Ln parts that are not text ({kinds}).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Skipped %Ln part(s) that are not text.</source>
        <translation>
            <numerusform>Skipped %Ln part that is not text.</numerusform>
            <numerusform>Skipped %Ln parts that are not text.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln chat(s) were already there from an earlier import; they were left as they are.</source>
        <translation>
            <numerusform>%Ln chat was already there from an earlier import; it was left as it is.</numerusform>
            <numerusform>%Ln chats were already there from an earlier import; they were left as they are.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Exported %Ln chat(s) to {path}</source>
        <translation>
            <numerusform>Exported %Ln chat to {path}</numerusform>
            <numerusform>Exported %Ln chats to {path}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DiscoverPage</name>
    <message numerus="yes">
        <source>%n repositories</source>
        <translation>
            <numerusform>%n repository</numerusform>
            <numerusform>%n repositories</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LibraryPage</name>
    <message numerus="yes">
        <source>Found %n model(s), {new} not in the library yet. Register them to use them here without downloading again.</source>
        <translation>
            <numerusform>Found %n model, {new} not in the library yet. Register them to use them here without downloading again.</numerusform>
            <numerusform>Found %n models, {new} not in the library yet. Register them to use them here without downloading again.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Found %n model(s), {new} not in the library yet.</source>
        <translation>
            <numerusform>Found %n model, {new} not in the library yet.</numerusform>
            <numerusform>Found %n models, {new} not in the library yet.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Registered %n model(s) in place.</source>
        <translation>
            <numerusform>Registered %n model in place.</numerusform>
            <numerusform>Registered %n models in place.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>%n download(s) are not finished. Quit anyway?

They stop now and continue from where they stopped when you download the same files again.</source>
        <translation>
            <numerusform>%n download is not finished. Quit anyway?

It stops now and continues from where it stopped when you download the same files again.</numerusform>
            <numerusform>%n downloads are not finished. Quit anyway?

They stop now and continue from where they stopped when you download the same files again.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MessageBubble</name>
    <message numerus="yes">
        <source>%Ln token(s)</source>
        <translation>
            <numerusform>%Ln token</numerusform>
            <numerusform>%Ln tokens</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Pane</name>
    <message numerus="yes">
        <source>%Ln token(s)</source>
        <translation>
            <numerusform>%Ln token</numerusform>
            <numerusform>%Ln tokens</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RemoteService</name>
    <message numerus="yes">
        <source>%n models: {models}</source>
        <translation>
            <numerusform>%n model: {models}</numerusform>
            <numerusform>%n models: {models}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RepoPage</name>
    <message numerus="yes">
        <source>&lt;b&gt;{link}&lt;/b&gt; (gated: needs an accepted license and a token), %n model file(s)</source>
        <translation>
            <numerusform>&lt;b&gt;{link}&lt;/b&gt; (gated: needs an accepted license and a token), %n model file</numerusform>
            <numerusform>&lt;b&gt;{link}&lt;/b&gt; (gated: needs an accepted license and a token), %n model files</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>&lt;b&gt;{link}&lt;/b&gt;, %n model file(s)</source>
        <translation>
            <numerusform>&lt;b&gt;{link}&lt;/b&gt;, %n model file</numerusform>
            <numerusform>&lt;b&gt;{link}&lt;/b&gt;, %n model files</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ThinkingBlock</name>
    <message numerus="yes">
        <source>%Ln character(s)</source>
        <translation>
            <numerusform>%Ln character</numerusform>
            <numerusform>%Ln characters</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Time</name>
    <message numerus="yes">
        <source>%n minute(s) ago</source>
        <translation>
            <numerusform>%n minute ago</numerusform>
            <numerusform>%n minutes ago</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n hour(s) ago</source>
        <translation>
            <numerusform>%n hour ago</numerusform>
            <numerusform>%n hours ago</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n day(s) ago</source>
        <translation>
            <numerusform>%n day ago</numerusform>
            <numerusform>%n days ago</numerusform>
        </translation>
    </message>
</context>
</TS>
