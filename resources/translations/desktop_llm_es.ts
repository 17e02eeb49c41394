<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es">
<context>
    <name>AboutDialog</name>
    <message>
        <source>checking the engine…</source>
        <translation>comprobando el motor…</translation>
    </message>
    <message>
        <source>not checked</source>
        <translation>sin comprobar</translation>
    </message>
    <message>
        <source>the engine could not start</source>
        <translation>el motor no pudo arrancar</translation>
    </message>
    <message>
        <source>not available ({detail})</source>
        <translation>no disponible ({detail})</translation>
    </message>
    <message>
        <source>llama-cpp-python {version} (llama.cpp) · backend {backend}</source>
        <translation>llama-cpp-python {version} (llama.cpp) · backend {backend}</translation>
    </message>
    <message>
        <source>About {app}</source>
        <translation>Acerca de {app}</translation>
    </message>
    <message>
        <source>&lt;h3&gt;{app} {version}&lt;/h3&gt;&lt;p&gt;Chat with open language models on your own computer, offline.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Engine:&lt;/b&gt; {engine}&lt;br&gt;&lt;b&gt;Qt:&lt;/b&gt; {qt}&lt;/p&gt;</source>
        <translation>&lt;h3&gt;{app} {version}&lt;/h3&gt;&lt;p&gt;Chatea con modelos de lenguaje abiertos en tu propio ordenador, sin conexión.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Motor:&lt;/b&gt; {engine}&lt;br&gt;&lt;b&gt;Qt:&lt;/b&gt; {qt}&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Start chatting:&lt;/b&gt; a small starter model (SmolLM2-135M-Instruct) is selected above. Type a message below and press Enter. It is tiny and fast, not very clever: try a bigger model when you want better answers.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Empieza a chatear:&lt;/b&gt; arriba está elegido un modelo pequeño para empezar (SmolLM2-135M-Instruct). Escribe un mensaje abajo y pulsa Intro. Es diminuto y rápido, pero no muy listo: prueba un modelo más grande cuando quieras mejores respuestas.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Get a first model:&lt;/b&gt; open &lt;i&gt;Models &amp;gt; Find models…&lt;/i&gt; and search for &lt;i&gt;SmolLM2-135M-Instruct&lt;/i&gt;, a small starter model (about 100 MB) that runs on any computer. Have a &lt;code&gt;.gguf&lt;/code&gt; file already? Use &lt;i&gt;File &amp;gt; Import model…&lt;/i&gt; or drop it on this window.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Consigue un primer modelo:&lt;/b&gt; abre &lt;i&gt;Modelos &amp;gt; Buscar modelos…&lt;/i&gt; y busca &lt;i&gt;SmolLM2-135M-Instruct&lt;/i&gt;, un modelo pequeño para empezar (unos 100 MB) que funciona en cualquier ordenador. ¿Ya tienes un archivo &lt;code&gt;.gguf&lt;/code&gt;? Usa &lt;i&gt;Archivo &amp;gt; Importar modelo…&lt;/i&gt; o suéltalo en esta ventana.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Welcome to {app}&lt;/h2&gt;&lt;p&gt;Chat with open language models on your own computer. Once a model is downloaded, everything runs offline: your chats stay on this computer.&lt;/p&gt;{start}&lt;p&gt;&lt;b&gt;Find more models&lt;/b&gt; on Hugging Face with &lt;i&gt;Models &amp;gt; Find models…&lt;/i&gt;: it shows which files fit your computer&apos;s memory before you download. From a terminal: &lt;code&gt;desktop-llm search QUERY&lt;/code&gt;, then &lt;code&gt;desktop-llm pull REPO&lt;/code&gt;.&lt;/p&gt;</source>
        <translation>&lt;h2&gt;Te damos la bienvenida a {app}&lt;/h2&gt;&lt;p&gt;Chatea con modelos de lenguaje abiertos en tu propio ordenador. Una vez descargado un modelo, todo funciona sin conexión: tus chats se quedan en este ordenador.&lt;/p&gt;{start}&lt;p&gt;&lt;b&gt;Encuentra más modelos&lt;/b&gt; en Hugging Face con &lt;i&gt;Modelos &amp;gt; Buscar modelos…&lt;/i&gt;: te muestra qué archivos caben en la memoria de tu ordenador antes de descargarlos. Desde una terminal: &lt;code&gt;desktop-llm search CONSULTA&lt;/code&gt; y luego &lt;code&gt;desktop-llm pull REPO&lt;/code&gt;.&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>{app} cannot start</source>
        <translation>{app} no puede iniciarse</translation>
    </message>
</context>
<context>
    <name>BackupDialog</name>
    <message>
        <source>Backups</source>
        <translation>Copias de seguridad</translation>
    </message>
    <message>
        <source>Your chats are copied to &lt;b&gt;{folder}&lt;/b&gt; once a day while the app is open; the newest {keep} copies are kept. To go back to one, close the window and run &lt;code&gt;desktop-llm restore FILE&lt;/code&gt;.</source>
        <translation>Tus chats se copian en &lt;b&gt;{folder}&lt;/b&gt; una vez al día mientras la aplicación está abierta; se guardan las {keep} copias más recientes. Para volver a una, cierra la ventana y ejecuta &lt;code&gt;desktop-llm restore ARCHIVO&lt;/code&gt;.</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>Abrir carpeta</translation>
    </message>
    <message>
        <source>Made</source>
        <translation>Hecha</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Tamaño</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Archivo</translation>
    </message>
    <message>
        <source>Back up now</source>
        <translation>Hacer copia ahora</translation>
    </message>
    <message>
        <source>Last backup: {when}</source>
        <translation>Última copia de seguridad: {when}</translation>
    </message>
    <message>
        <source>No backup yet.</source>
        <translation>Aún no hay ninguna copia de seguridad.</translation>
    </message>
    <message>
        <source>{when} (before a restore)</source>
        <translation>{when} (antes de una restauración)</translation>
    </message>
    <message>
        <source>Backed up to {file} ({size}).</source>
        <translation>Copia guardada en {file} ({size}).</translation>
    </message>
    <message>
        <source>Backing up…</source>
        <translation>Haciendo la copia de seguridad…</translation>
    </message>
    <message>
        <source>Backup failed: {message}</source>
        <translation>La copia de seguridad falló: {message}</translation>
    </message>
</context>
<context>
    <name>BenchmarkDialog</name>
    <message>
        <source>Benchmark: {model}</source>
        <translation>Prueba de rendimiento: {model}</translation>
    </message>
    <message>
        <source>automatic (physical cores)</source>
        <translation>automático (núcleos físicos)</translation>
    </message>
    <message>
        <source>Prompt tokens</source>
        <translation>Tokens del prompt</translation>
    </message>
    <message>
        <source>Generated tokens</source>
        <translation>Tokens generados</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>Longitud de contexto</translation>
    </message>
    <message>
        <source>Runs</source>
        <translation>Rondas</translation>
    </message>
    <message>
        <source>CPU threads</source>
        <translation>Hilos de CPU</translation>
    </message>
    <message>
        <source>Run benchmark</source>
        <translation>Ejecutar prueba</translation>
    </message>
    <message>
        <source>measurement</source>
        <translation>medida</translation>
    </message>
    <message>
        <source>median</source>
        <translation>mediana</translation>
    </message>
    <message>
        <source>± spread</source>
        <translation>± dispersión</translation>
    </message>
    <message>
        <source>The benchmark failed.</source>
        <translation>La prueba de rendimiento ha fallado.</translation>
    </message>
    <message>
        <source>A benchmark is already running.</source>
        <translation>Ya hay una prueba de rendimiento en curso.</translation>
    </message>
    <message>
        <source>Running… each run starts a fresh engine worker.</source>
        <translation>Ejecutando… cada ronda arranca un worker del motor nuevo.</translation>
    </message>
    <message>
        <source>Load time</source>
        <translation>Tiempo de carga</translation>
    </message>
    <message>
        <source>Prompt processing</source>
        <translation>Procesamiento del prompt</translation>
    </message>
    <message>
        <source>Generation</source>
        <translation>Generación</translation>
    </message>
    <message>
        <source>Time to first token</source>
        <translation>Tiempo hasta el primer token</translation>
    </message>
    <message>
        <source>Peak memory of the worker</source>
        <translation>Memoria máxima del worker</translation>
    </message>
    <message>
        <source>{threads} threads, context {context}, {prompt} prompt + {generated} generated tokens, median of {runs} runs.</source>
        <translation>{threads} hilos, contexto {context}, {prompt} tokens de prompt + {generated} generados, mediana de {runs} rondas.</translation>
    </message>
</context>
<context>
    <name>Catalog</name>
    <message>
        <source>Small modern chat models that run on an ordinary PC</source>
        <translation>Modelos de chat pequeños y modernos que funcionan en un PC normal</translation>
    </message>
    <message>
        <source>The open models that started the open model movement</source>
        <translation>Los modelos abiertos con los que empezó el movimiento de modelos abiertos</translation>
    </message>
    <message>
        <source>Hugging Face&apos;s tiny chat model: answers instantly on any computer, good for trying things out.</source>
        <translation>El modelo de chat diminuto de Hugging Face: responde al instante en cualquier ordenador, ideal para probar.</translation>
    </message>
    <message>
        <source>The largest SmolLM2: fast on a laptop CPU, fully open training data.</source>
        <translation>El SmolLM2 más grande: rápido en la CPU de un portátil, con datos de entrenamiento totalmente abiertos.</translation>
    </message>
    <message>
        <source>Alibaba&apos;s small multilingual model, strong at following instructions for its size.</source>
        <translation>El modelo multilingüe pequeño de Alibaba, muy bueno siguiendo instrucciones para su tamaño.</translation>
    </message>
    <message>
        <source>A capable all-rounder for writing, coding and 29 languages; wants 8 GB of free memory.</source>
        <translation>Un modelo versátil para escribir, programar y 29 idiomas; necesita 8 GB de memoria libre.</translation>
    </message>
    <message>
        <source>Meta&apos;s smallest Llama 3.2, made for phones and laptops; long 128k context.</source>
        <translation>El Llama 3.2 más pequeño de Meta, pensado para móviles y portátiles; contexto largo de 128k.</translation>
    </message>
    <message>
        <source>A good everyday assistant that still runs comfortably on a CPU.</source>
        <translation>Un buen asistente para el día a día que aún funciona con soltura en una CPU.</translation>
    </message>
    <message>
        <source>Google&apos;s smallest Gemma 3, text only; quick and friendly.</source>
        <translation>El Gemma 3 más pequeño de Google, solo texto; rápido y amable.</translation>
    </message>
    <message>
        <source>Gemma 3 with 140 languages; the repo also has the vision projector for images.</source>
        <translation>Gemma 3 con 140 idiomas; el repositorio también tiene el proyector de visión para imágenes.</translation>
    </message>
    <message>
        <source>Microsoft&apos;s small model trained on textbook-quality data; good at reasoning and maths.</source>
        <translation>El modelo pequeño de Microsoft entrenado con datos de calidad de libro de texto; bueno razonando y en matemáticas.</translation>
    </message>
    <message>
        <source>The newer Phi: better multilingual support and function calling at the same size.</source>
        <translation>El Phi más reciente: mejor soporte multilingüe y llamadas a funciones con el mismo tamaño.</translation>
    </message>
    <message>
        <source>The model that showed a 7B could beat much larger ones; a solid, plain assistant.</source>
        <translation>El modelo que demostró que un 7B podía superar a otros mucho mayores; un asistente sólido y sencillo.</translation>
    </message>
    <message>
        <source>Stanford&apos;s Alpaca recipe, which kicked off open chat models, redone on Llama 2 7B with answers by Claude 2.</source>
        <translation>La receta Alpaca de Stanford, que dio inicio a los modelos de chat abiertos, rehecha sobre Llama 2 7B con respuestas de Claude 2.</translation>
    </message>
    <message>
        <source>LMSYS&apos;s LLaMA fine-tune on shared ChatGPT conversations, the first open model to feel like a chatbot.</source>
        <translation>El ajuste fino de LLaMA de LMSYS con conversaciones compartidas de ChatGPT, el primer modelo abierto que se sentía como un chatbot.</translation>
    </message>
    <message>
        <source>Stability AI&apos;s StableLM 3B tuned for chat; small and quick (non-commercial license).</source>
        <translation>El StableLM 3B de Stability AI ajustado para chat; pequeño y rápido (licencia no comercial).</translation>
    </message>
    <message>
        <source>From LAION&apos;s OpenAssistant, whose crowd-written conversations became a standard open dataset.</source>
        <translation>De OpenAssistant de LAION, cuyas conversaciones escritas por voluntarios se convirtieron en un conjunto de datos abierto de referencia.</translation>
    </message>
    <message>
        <source>Databricks&apos; Pythia fine-tune on 15k employee-written instructions: the first open model licensed for commercial use.</source>
        <translation>El ajuste fino de Pythia de Databricks con 15k instrucciones escritas por empleados: el primer modelo abierto con licencia para uso comercial.</translation>
    </message>
    <message>
        <source>A tiny member of Cerebras&apos; compute-optimal GPT family, fully open weights and data; more curiosity than assistant.</source>
        <translation>Un miembro diminuto de la familia GPT de cómputo óptimo de Cerebras, con pesos y datos totalmente abiertos; más curiosidad que asistente.</translation>
    </message>
</context>
<context>
    <name>ChatActions</name>
    <message>
        <source>a reply is still being written; stop it first</source>
        <translation>aún se está escribiendo una respuesta; detenla primero</translation>
    </message>
    <message>
        <source>Delete this branch?</source>
        <translation>¿Eliminar esta rama?</translation>
    </message>
    <message>
        <source>Delete this message and every reply and follow-up under it, on every branch? This can&apos;t be undone.</source>
        <translation>¿Eliminar este mensaje y todas las respuestas y continuaciones que cuelgan de él, en todas las ramas? No se puede deshacer.</translation>
    </message>
    <message>
        <source>Save as preset</source>
        <translation>Guardar como preajuste</translation>
    </message>
    <message>
        <source>Preset {name}</source>
        <translation>Preajuste {name}</translation>
    </message>
    <message>
        <source>Delete preset?</source>
        <translation>¿Eliminar el preajuste?</translation>
    </message>
    <message>
        <source>Delete your preset {name}?</source>
        <translation>¿Eliminar tu preajuste {name}?</translation>
    </message>
    <message>
        <source>Next message sends ~{tokens} / {n_ctx} tokens</source>
        <translation>El próximo mensaje envía ~{tokens} / {n_ctx} tokens</translation>
    </message>
    <message numerus="yes">
        <source>%Ln oldest message(s) left out</source>
        <translation>
            <numerusform>%Ln mensaje más antiguo omitido</numerusform>
            <numerusform>%Ln mensajes más antiguos omitidos</numerusform>
        </translation>
    </message>
    <message>
        <source>too long: sending asks first</source>
        <translation>demasiado largo: al enviar se preguntará antes</translation>
    </message>
    <message>
        <source>Writing a summary of this chat…</source>
        <translation>Escribiendo un resumen de este chat…</translation>
    </message>
    <message>
        <source>New chat started from a summary of the last one</source>
        <translation>Chat nuevo iniciado a partir de un resumen del anterior</translation>
    </message>
</context>
<context>
    <name>ChatFinder</name>
    <message>
        <source>{reason}: search again</source>
        <translation>{reason}: vuelve a buscar</translation>
    </message>
    <message>
        <source>that message is on another branch: open it once the reply is finished</source>
        <translation>ese mensaje está en otra rama: ábrelo cuando termine la respuesta</translation>
    </message>
</context>
<context>
    <name>ChatSearchBox</name>
    <message>
        <source>Title</source>
        <translation>Título</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Tú</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>Respuesta</translation>
    </message>
    <message>
        <source>System</source>
        <translation>Sistema</translation>
    </message>
    <message>
        <source>Search all chats (Ctrl+F)</source>
        <translation>Buscar en todos los chats (Ctrl+F)</translation>
    </message>
    <message>
        <source>No chat has these words.</source>
        <translation>Ningún chat contiene estas palabras.</translation>
    </message>
</context>
<context>
    <name>ChatService</name>
    <message>
        <source>could not save settings: {reason}</source>
        <translation>no se pudieron guardar los ajustes: {reason}</translation>
    </message>
    <message>
        <source>stop the reply before deleting this chat</source>
        <translation>detén la respuesta antes de eliminar este chat</translation>
    </message>
    <message>
        <source>a reply is still being written; stop it first</source>
        <translation>aún se está escribiendo una respuesta; detenla primero</translation>
    </message>
    <message>
        <source>stop the reply before deleting messages</source>
        <translation>detén la respuesta antes de eliminar mensajes</translation>
    </message>
    <message>
        <source>this message is too long for the context length even alone; shorten it or raise the context length</source>
        <translation>este mensaje es demasiado largo para la longitud de contexto incluso por sí solo; acórtalo o aumenta la longitud de contexto</translation>
    </message>
    <message>
        <source>choose a model first</source>
        <translation>elige primero un modelo</translation>
    </message>
    <message>
        <source>the message is empty</source>
        <translation>el mensaje está vacío</translation>
    </message>
    <message>
        <source>choose a model first (File &gt; Import model... adds one)</source>
        <translation>elige primero un modelo (Archivo &gt; Importar modelo... añade uno)</translation>
    </message>
</context>
<context>
    <name>ChatTransferActions</name>
    <message>
        <source>Chat exports (*.json *.zip);;All files (*)</source>
        <translation>Exportaciones de chats (*.json *.zip);;Todos los archivos (*)</translation>
    </message>
    <message numerus="yes">
        <source>%Ln message(s)</source>
        <translation>
            <numerusform>%Ln mensaje</numerusform>
            <numerusform>%Ln mensajes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Imported %Ln chat(s) ({messages}) from a {format} export.</source>
        <translation>
            <numerusform>Se importó %Ln chat ({messages}) de una exportación de {format}.</numerusform>
            <numerusform>Se importaron %Ln chats ({messages}) de una exportación de {format}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Skipped %Ln part(s) that are not text ({kinds}).</source>
        <translation>
            <numerusform>Se omitió %Ln parte que no es texto ({kinds}).</numerusform>
            <numerusform>Se omitieron %Ln partes que no son texto ({kinds}).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Skipped %Ln part(s) that are not text.</source>
        <translation>
            <numerusform>Se omitió %Ln parte que no es texto.</numerusform>
            <numerusform>Se omitieron %Ln partes que no son texto.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln chat(s) were already there from an earlier import; they were left as they are.</source>
        <translation>
            <numerusform>%Ln chat ya estaba aquí de una importación anterior; se ha dejado como estaba.</numerusform>
            <numerusform>%Ln chats ya estaban aquí de una importación anterior; se han dejado como estaban.</numerusform>
        </translation>
    </message>
    <message>
        <source>open a chat to export first</source>
        <translation>abre primero un chat para exportarlo</translation>
    </message>
    <message>
        <source>Import chats</source>
        <translation>Importar chats</translation>
    </message>
    <message>
        <source>Importing {file}…</source>
        <translation>Importando {file}…</translation>
    </message>
    <message>
        <source>Export chats</source>
        <translation>Exportar chats</translation>
    </message>
    <message numerus="yes">
        <source>Exported %Ln chat(s) to {path}</source>
        <translation>
            <numerusform>Se exportó %Ln chat a {path}</numerusform>
            <numerusform>Se exportaron %Ln chats a {path}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Type a message below to start.</source>
        <translation>Escribe un mensaje abajo para empezar.</translation>
    </message>
    <message>
        <source>Show earlier messages ({count} more)</source>
        <translation>Mostrar mensajes anteriores ({count} más)</translation>
    </message>
    <message>
        <source>Show later messages ({count} more)</source>
        <translation>Mostrar mensajes posteriores ({count} más)</translation>
    </message>
</context>
<context>
    <name>ClusterDialog</name>
    <message>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Estado</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>Dispositivos</translation>
    </message>
    <message>
        <source>Free memory</source>
        <translation>Memoria libre</translation>
    </message>
    <message>
        <source>Cluster</source>
        <translation>Clúster</translation>
    </message>
    <message>
        <source>Split a model over this PC and other PCs at home: on each, run &lt;code&gt;desktop-llm rpc-worker --host ITS-ADDRESS&lt;/code&gt; and add it here as HOST:PORT. Models then load across this PC and the workers below. llama.cpp&apos;s RPC has no password: use it only on a trusted home network.</source>
        <translation>Reparte un modelo entre este PC y otros PC de casa: en cada uno, ejecuta &lt;code&gt;desktop-llm rpc-worker --host SU-DIRECCIÓN&lt;/code&gt; y añádelo aquí como HOST:PUERTO. Los modelos se cargarán entonces entre este PC y los workers de abajo. El RPC de llama.cpp no tiene contraseña: úsalo solo en una red doméstica de confianza.</translation>
    </message>
    <message>
        <source>&lt;b&gt;This engine was built without llama.cpp&apos;s RPC backend&lt;/b&gt;; rebuild it with &lt;code&gt;make engine&lt;/code&gt; to use workers.</source>
        <translation>&lt;b&gt;Este motor se compiló sin el backend RPC de llama.cpp&lt;/b&gt;; vuelve a compilarlo con &lt;code&gt;make engine&lt;/code&gt; para usar workers.</translation>
    </message>
    <message>
        <source>HOST:PORT, e.g. 192.168.1.20:50052</source>
        <translation>HOST:PUERTO, p. ej. 192.168.1.20:50052</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Añadir</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Quitar</translation>
    </message>
    <message>
        <source>Check again</source>
        <translation>Comprobar de nuevo</translation>
    </message>
    <message>
        <source>{free} of {total}</source>
        <translation>{free} de {total}</translation>
    </message>
    <message>
        <source>checking…</source>
        <translation>comprobando…</translation>
    </message>
    <message>
        <source>No workers yet: models load on this PC only.</source>
        <translation>Aún no hay workers: los modelos se cargan solo en este PC.</translation>
    </message>
    <message>
        <source>{ready} of {total} workers ready.</source>
        <translation>Workers listos: {ready} de {total}.</translation>
    </message>
</context>
<context>
    <name>ClusterService</name>
    <message>
        <source>{endpoint} is in the list already</source>
        <translation>{endpoint} ya está en la lista</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>listo</translation>
    </message>
</context>
<context>
    <name>CompareService</name>
    <message>
        <source>one after another, as asked</source>
        <translation>uno tras otro, como pediste</translation>
    </message>
    <message>
        <source>at the same time: the {models} models need about {need} together and {free} of RAM is free</source>
        <translation>a la vez: los {models} modelos necesitan unos {need} en total y hay {free} de RAM libre</translation>
    </message>
    <message>
        <source>one after another: the {models} models need about {need} together but only {free} of RAM is free</source>
        <translation>uno tras otro: los {models} modelos necesitan unos {need} en total, pero solo hay {free} de RAM libre</translation>
    </message>
    <message>
        <source>{model} · remote · {server}</source>
        <translation>{model} · remoto · {server}</translation>
    </message>
    <message>
        <source>no remote servers here for {model}</source>
        <translation>no hay servidores remotos aquí para {model}</translation>
    </message>
    <message>
        <source>start a comparison first</source>
        <translation>empieza primero una comparación</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>ocupado</translation>
    </message>
</context>
<context>
    <name>CompareTab</name>
    <message>
        <source>A is better</source>
        <translation>A es mejor</translation>
    </message>
    <message>
        <source>B is better</source>
        <translation>B es mejor</translation>
    </message>
    <message>
        <source>Tie</source>
        <translation>Empate</translation>
    </message>
    <message>
        <source>Both bad</source>
        <translation>Ambos malos</translation>
    </message>
    <message>
        <source>Arena (hide models)</source>
        <translation>Arena (ocultar modelos)</translation>
    </message>
    <message>
        <source>One after another</source>
        <translation>Uno tras otro</translation>
    </message>
    <message>
        <source>tag (coding, writing…)</source>
        <translation>etiqueta (código, redacción…)</translation>
    </message>
    <message>
        <source>Panes</source>
        <translation>Paneles</translation>
    </message>
    <message>
        <source>Charts</source>
        <translation>Gráficos</translation>
    </message>
    <message>
        <source>Tokens/s and time to first token, as bars</source>
        <translation>Tokens/s y tiempo hasta el primer token, en barras</translation>
    </message>
    <message>
        <source>One prompt for every pane</source>
        <translation>Un prompt para todos los paneles</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Enviar</translation>
    </message>
    <message>
        <source>New comparison</source>
        <translation>Comparación nueva</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>tokens/s</translation>
    </message>
    <message>
        <source>time to first token (s)</source>
        <translation>tiempo hasta el primer token (s)</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Abrir</translation>
    </message>
    <message>
        <source>Export Markdown…</source>
        <translation>Exportar Markdown…</translation>
    </message>
    <message>
        <source>Saved</source>
        <translation>Guardadas</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>Comparar</translation>
    </message>
    <message>
        <source>every tag</source>
        <translation>todas las etiquetas</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Actualizar</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <source>Rating</source>
        <translation>Puntuación</translation>
    </message>
    <message>
        <source>95% CI</source>
        <translation>IC 95 %</translation>
    </message>
    <message>
        <source>Votes</source>
        <translation>Votos</translation>
    </message>
    <message>
        <source>Win rate</source>
        <translation>% victorias</translation>
    </message>
    <message>
        <source>W/L/T</source>
        <translation>G/P/E</translation>
    </message>
    <message>
        <source>95% confidence interval of the rating</source>
        <translation>Intervalo de confianza del 95 % de la puntuación</translation>
    </message>
    <message>
        <source>Wins/losses/ties</source>
        <translation>Ganadas/perdidas/empates</translation>
    </message>
    <message>
        <source>Votes with tag</source>
        <translation>Votos con la etiqueta</translation>
    </message>
    <message>
        <source>Leaderboard</source>
        <translation>Clasificación</translation>
    </message>
    <message>
        <source>Perplexity and bits per byte on your text: lower is better.</source>
        <translation>Perplejidad y bits por byte en tu texto: cuanto menos, mejor.</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>Tokens</translation>
    </message>
    <message>
        <source>Perplexity</source>
        <translation>Perplejidad</translation>
    </message>
    <message>
        <source>Bits/byte</source>
        <translation>Bits/byte</translation>
    </message>
    <message>
        <source>Paste a paragraph of your own text</source>
        <translation>Pega un párrafo de un texto tuyo</translation>
    </message>
    <message>
        <source>Score every model in the panes</source>
        <translation>Evaluar todos los modelos de los paneles</translation>
    </message>
    <message>
        <source>no model to compare: import or download one first</source>
        <translation>no hay ningún modelo que comparar: importa o descarga uno primero</translation>
    </message>
    <message>
        <source>nothing to export yet: run a comparison first</source>
        <translation>todavía no hay nada que exportar: haz antes una comparación</translation>
    </message>
    <message>
        <source>could not save {path}: {reason}</source>
        <translation>no se pudo guardar {path}: {reason}</translation>
    </message>
    <message>
        <source>Export comparison</source>
        <translation>Exportar comparación</translation>
    </message>
    <message>
        <source>saved {path}</source>
        <translation>guardado {path}</translation>
    </message>
    <message>
        <source>{low} to {high}</source>
        <translation>{low} a {high}</translation>
    </message>
    <message>
        <source>{percent}%</source>
        <translation>{percent} %</translation>
    </message>
    <message>
        <source>no model to score: import or download one first</source>
        <translation>no hay ningún modelo que evaluar: importa o descarga uno primero</translation>
    </message>
    <message>
        <source>Scoring…</source>
        <translation>Evaluando…</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>falló</translation>
    </message>
    <message>
        <source>Best first: lower bits per byte is better.</source>
        <translation>El mejor primero: menos bits por byte es mejor.</translation>
    </message>
    <message>
        <source>&lt;b&gt;You:&lt;/b&gt; {text}</source>
        <translation>&lt;b&gt;Tú:&lt;/b&gt; {text}</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Message the model… (Enter to send, Shift+Enter for a new line)</source>
        <translation>Escribe al modelo… (Intro para enviar, Mayús+Intro para una línea nueva)</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>New chat</source>
        <translation>Chat nuevo</translation>
    </message>
    <message>
        <source>+ New chat</source>
        <translation>+ Chat nuevo</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>Cambiar nombre</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Eliminar</translation>
    </message>
    <message>
        <source>{title}
(writing a reply…)</source>
        <translation>{title}
(escribiendo una respuesta…)</translation>
    </message>
    <message>
        <source>Rename chat</source>
        <translation>Cambiar nombre del chat</translation>
    </message>
    <message>
        <source>Title:</source>
        <translation>Título:</translation>
    </message>
    <message>
        <source>Delete chat</source>
        <translation>Eliminar chat</translation>
    </message>
    <message>
        <source>Delete “{title}” and all its messages?</source>
        <translation>¿Eliminar «{title}» y todos sus mensajes?</translation>
    </message>
</context>
<context>
    <name>CrashDialog</name>
    <message>
        <source>Something went wrong</source>
        <translation>Algo ha fallado</translation>
    </message>
    <message>
        <source>desktop-llm hit a bug. Your chats are saved and the app keeps running.
Please report it with the details below.</source>
        <translation>desktop-llm ha encontrado un error. Tus chats están guardados y la aplicación sigue funcionando.
Por favor, infórmalo con los detalles de abajo.</translation>
    </message>
</context>
<context>
    <name>DiscoverPage</name>
    <message>
        <source>Most downloads</source>
        <translation>Más descargados</translation>
    </message>
    <message>
        <source>Most likes</source>
        <translation>Más «me gusta»</translation>
    </message>
    <message>
        <source>Recently updated</source>
        <translation>Actualizados recientemente</translation>
    </message>
    <message>
        <source>{count}M</source>
        <translation>{count} M</translation>
    </message>
    <message>
        <source>{count}k</source>
        <translation>{count} mil</translation>
    </message>
    <message>
        <source>{count}B</source>
        <translation>{count} B</translation>
    </message>
    <message>
        <source>Search Hugging Face for GGUF models, e.g. qwen, llama, phi</source>
        <translation>Busca modelos GGUF en Hugging Face, p. ej. qwen, llama, phi</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Buscar</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Tamaño</translation>
    </message>
    <message>
        <source>License</source>
        <translation>Licencia</translation>
    </message>
    <message>
        <source>About</source>
        <translation>Descripción</translation>
    </message>
    <message>
        <source>Repository</source>
        <translation>Repositorio</translation>
    </message>
    <message>
        <source>Author</source>
        <translation>Autor</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>Descargas</translation>
    </message>
    <message>
        <source>Likes</source>
        <translation>Me gusta</translation>
    </message>
    <message>
        <source>Updated</source>
        <translation>Actualizado</translation>
    </message>
    <message>
        <source>Params</source>
        <translation>Parámetros</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>Arquitectura</translation>
    </message>
    <message>
        <source>{about}
{repo}, license {license}
recommended file: {file}</source>
        <translation>{about}
{repo}, licencia {license}
archivo recomendado: {file}</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Buscando…</translation>
    </message>
    <message>
        <source>{repo}  (gated)</source>
        <translation>{repo}  (restringido)</translation>
    </message>
    <message numerus="yes">
        <source>%n repositories</source>
        <translation>
            <numerusform>%n repositorio</numerusform>
            <numerusform>%n repositorios</numerusform>
        </translation>
    </message>
    <message>
        <source>No GGUF models found.</source>
        <translation>No se encontraron modelos GGUF.</translation>
    </message>
</context>
<context>
    <name>DownloadsPage</name>
    <message>
        <source>Resume</source>
        <translation>Reanudar</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Pausar</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <source>{hours} h {minutes} min left</source>
        <translation>quedan {hours} h {minutes} min</translation>
    </message>
    <message>
        <source>{minutes}:{seconds} left</source>
        <translation>quedan {minutes}:{seconds}</translation>
    </message>
    <message>
        <source>{done} of {total}</source>
        <translation>{done} de {total}</translation>
    </message>
    <message>
        <source>{progress}, no data for {seconds} s (the connection is retried after 30 s without data)</source>
        <translation>{progress}, sin datos desde hace {seconds} s (la conexión se reintenta tras 30 s sin datos)</translation>
    </message>
    <message>
        <source>{size}/s</source>
        <translation>{size}/s</translation>
    </message>
    <message>
        <source>Done: installed as &apos;{name}&apos;</source>
        <translation>Hecho: instalado como «{name}»</translation>
    </message>
    <message>
        <source>Done: installed</source>
        <translation>Hecho: instalado</translation>
    </message>
    <message>
        <source>Paused at {progress}</source>
        <translation>En pausa en {progress}</translation>
    </message>
    <message>
        <source>Waiting for another download to finish</source>
        <translation>Esperando a que termine otra descarga</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Cancelada</translation>
    </message>
    <message>
        <source>Failed: {error}</source>
        <translation>Error: {error}</translation>
    </message>
    <message>
        <source>Failed: unknown error</source>
        <translation>Error: error desconocido</translation>
    </message>
    <message>
        <source>{status} (not verified: the server gave no checksum)</source>
        <translation>{status} (sin verificar: el servidor no dio suma de comprobación)</translation>
    </message>
    <message>
        <source>No downloads yet. Pick a model in Discover and press Download.</source>
        <translation>Aún no hay descargas. Elige un modelo en Descubrir y pulsa Descargar.</translation>
    </message>
    <message>
        <source>Clear finished</source>
        <translation>Quitar terminadas</translation>
    </message>
    <message>
        <source>Resume downloads when the app starts</source>
        <translation>Reanudar las descargas al iniciar la aplicación</translation>
    </message>
    <message>
        <source>Downloads not finished when the app quit or crashed continue from their partial files. Unchecked, they come back paused.</source>
        <translation>Las descargas sin terminar cuando la aplicación se cerró o falló continúan desde sus archivos parciales. Si no está marcado, vuelven en pausa.</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>the message is empty</source>
        <translation>el mensaje está vacío</translation>
    </message>
    <message>
        <source>nothing to regenerate yet: send a message first</source>
        <translation>aún no hay nada que regenerar: envía antes un mensaje</translation>
    </message>
    <message>
        <source>only your own messages can be edited</source>
        <translation>solo puedes editar tus propios mensajes</translation>
    </message>
    <message>
        <source>there is nothing to summarize in this chat yet</source>
        <translation>aún no hay nada que resumir en este chat</translation>
    </message>
    <message>
        <source>the summary was stopped; the chat is unchanged</source>
        <translation>se detuvo el resumen; el chat no ha cambiado</translation>
    </message>
    <message>
        <source>the model wrote an empty summary; try again, or leave out the oldest turns</source>
        <translation>el modelo escribió un resumen vacío; vuelve a intentarlo o deja fuera los turnos más antiguos</translation>
    </message>
    <message>
        <source>temperature must be between 0 and 5</source>
        <translation>la temperatura debe estar entre 0 y 5</translation>
    </message>
    <message>
        <source>top-p must be above 0 and at most 1</source>
        <translation>top-p debe ser mayor que 0 y como mucho 1</translation>
    </message>
    <message>
        <source>top-k must be 0 or more</source>
        <translation>top-k debe ser 0 o más</translation>
    </message>
    <message>
        <source>repeat penalty must be between 0.5 and 3</source>
        <translation>la penalización por repetición debe estar entre 0,5 y 3</translation>
    </message>
    <message>
        <source>max tokens must be at least 1</source>
        <translation>el máximo de tokens debe ser al menos 1</translation>
    </message>
    <message>
        <source>context length must be at least 64</source>
        <translation>la longitud de contexto debe ser al menos 64</translation>
    </message>
    <message>
        <source>the model stopped while writing the summary ({reason}); the chat is unchanged</source>
        <translation>el modelo se detuvo mientras escribía el resumen ({reason}); el chat no ha cambiado</translation>
    </message>
    <message>
        <source>unknown export format {format!r}; use md or json</source>
        <translation>formato de exportación desconocido {format!r}; usa md o json</translation>
    </message>
    <message>
        <source>{name} is {size}, larger than the {limit} an import reads; nothing was imported</source>
        <translation>{name} ocupa {size}, más que los {limit} que lee una importación; no se ha importado nada</translation>
    </message>
    <message>
        <source>{path} is a folder, not an export file</source>
        <translation>{path} es una carpeta, no un archivo de exportación</translation>
    </message>
    <message>
        <source>{name} is empty; nothing was imported</source>
        <translation>{name} está vacío; no se ha importado nada</translation>
    </message>
    <message>
        <source>cannot read the .zip file {name}: {reason}</source>
        <translation>no se puede leer el archivo .zip {name}: {reason}</translation>
    </message>
    <message>
        <source>no file at {path}</source>
        <translation>no hay ningún archivo en {path}</translation>
    </message>
    <message>
        <source>cannot read {path}: {reason}</source>
        <translation>no se puede leer {path}: {reason}</translation>
    </message>
    <message>
        <source>{name} is not a JSON file (it is not UTF-8 text)</source>
        <translation>{name} no es un archivo JSON (no es texto UTF-8)</translation>
    </message>
    <message>
        <source>{name} is not a JSON file (the error is at line {line}, column {column}); nothing was imported</source>
        <translation>{name} no es un archivo JSON (el error está en la línea {line}, columna {column}); no se ha importado nada</translation>
    </message>
    <message>
        <source>cannot write {path}: {reason}</source>
        <translation>no se puede escribir {path}: {reason}</translation>
    </message>
    <message>
        <source>{name} is a .zip without a conversations.json; nothing was imported</source>
        <translation>{name} es un .zip sin conversations.json; no se ha importado nada</translation>
    </message>
    <message>
        <source>{name} ends in the middle of its data: it was cut off (half-written or still downloading); nothing was imported</source>
        <translation>{name} termina a mitad de sus datos: está cortado (escrito a medias o aún en descarga); no se ha importado nada</translation>
    </message>
    <message>
        <source>{where} has no id</source>
        <translation>{where} no tiene id</translation>
    </message>
    <message>
        <source>the file says it is a desktop-llm export but has no version number</source>
        <translation>el archivo dice ser una exportación de desktop-llm pero no tiene número de versión</translation>
    </message>
    <message>
        <source>this export was made by a newer desktop-llm (format version {version}; this one reads up to version {known}): update desktop-llm to import it</source>
        <translation>esta exportación la hizo un desktop-llm más reciente (versión de formato {version}; este lee hasta la versión {known}): actualiza desktop-llm para importarla</translation>
    </message>
    <message>
        <source>unknown desktop-llm export version {version}</source>
        <translation>versión de exportación de desktop-llm desconocida: {version}</translation>
    </message>
    <message>
        <source>{where} has a message with the unknown role {role!r}</source>
        <translation>{where} tiene un mensaje con el rol desconocido {role!r}</translation>
    </message>
    <message>
        <source>this is not a chat export desktop-llm knows (its own JSON export, ChatGPT&apos;s conversations.json, or an Open WebUI chat export); nothing was imported</source>
        <translation>no es una exportación de chats que desktop-llm conozca (su propia exportación JSON, el conversations.json de ChatGPT o una exportación de chats de Open WebUI); no se ha importado nada</translation>
    </message>
    <message>
        <source>the file holds no chats; nothing was imported</source>
        <translation>el archivo no contiene chats; no se ha importado nada</translation>
    </message>
    <message>
        <source>this file is a {format!s:.40} export, version {version!s:.10}, which desktop-llm does not know; nothing was imported</source>
        <translation>este archivo es una exportación de {format!s:.40}, versión {version!s:.10}, que desktop-llm no conoce; no se ha importado nada</translation>
    </message>
    <message>
        <source>{name}: {reason}</source>
        <translation>{name}: {reason}</translation>
    </message>
    <message>
        <source>{where} should be a number</source>
        <translation>{where} debería ser un número</translation>
    </message>
    <message>
        <source>{where} has two messages with the same id</source>
        <translation>{where} tiene dos mensajes con el mismo id</translation>
    </message>
    <message>
        <source>{where} has messages whose parents form a loop</source>
        <translation>{where} tiene mensajes cuyos padres forman un bucle</translation>
    </message>
    <message>
        <source>{where} should be an object</source>
        <translation>{where} debería ser un objeto</translation>
    </message>
    <message>
        <source>{where} should be a list</source>
        <translation>{where} debería ser una lista</translation>
    </message>
    <message>
        <source>{where} should be text</source>
        <translation>{where} debería ser texto</translation>
    </message>
    <message>
        <source>--repeat must be at least 1</source>
        <translation>--repeat debe ser al menos 1</translation>
    </message>
    <message>
        <source>--prompt-tokens and --gen-tokens must be at least 1</source>
        <translation>--prompt-tokens y --gen-tokens deben ser al menos 1</translation>
    </message>
    <message>
        <source>prompt plus generated tokens ({tokens}) must fit the context length ({ctx}); raise --ctx</source>
        <translation>los tokens del prompt más los generados ({tokens}) deben caber en la longitud de contexto ({ctx}); aumenta --ctx</translation>
    </message>
    <message>
        <source>no model named in {spec!r}</source>
        <translation>no se nombra ningún modelo en {spec!r}</translation>
    </message>
    <message>
        <source>compare {least} to {most} models, not {count}</source>
        <translation>compara de {least} a {most} modelos, no {count}</translation>
    </message>
    <message>
        <source>the prompt is empty</source>
        <translation>el prompt está vacío</translation>
    </message>
    <message>
        <source>unknown setting {key!r}</source>
        <translation>ajuste desconocido {key!r}</translation>
    </message>
    <message>
        <source>bad model setting {part!r} in {spec!r}; use MODEL@temp=0.2,top_k=20 (settings: {settings})</source>
        <translation>ajuste de modelo incorrecto {part!r} en {spec!r}; usa MODEL@temp=0.2,top_k=20 (ajustes: {settings})</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>cancelado</translation>
    </message>
    <message>
        <source>bad value for {key}: {value!r}</source>
        <translation>valor incorrecto para {key}: {value!r}</translation>
    </message>
    <message>
        <source>the model&apos;s engine stopped; send again to reload it</source>
        <translation>el motor del modelo se detuvo; vuelve a enviar para recargarlo</translation>
    </message>
    <message>
        <source>{name} {plan}; close other programs, or compare with a shorter context or a smaller model</source>
        <translation>{name} {plan}; cierra otros programas o compara con un contexto más corto o un modelo más pequeño</translation>
    </message>
    <message>
        <source>the text is empty</source>
        <translation>el texto está vacío</translation>
    </message>
    <message>
        <source>--ctx must be at least 16</source>
        <translation>--ctx debe ser al menos 16</translation>
    </message>
    <message>
        <source>the server refused {file}: HTTP {code}</source>
        <translation>el servidor rechazó {file}: HTTP {code}</translation>
    </message>
    <message>
        <source>access to {file} is restricted (HTTP {code}): accept the model&apos;s license on its Hugging Face page and add an access token in Settings</source>
        <translation>el acceso a {file} está restringido (HTTP {code}): acepta la licencia del modelo en su página de Hugging Face y añade un token de acceso en Ajustes</translation>
    </message>
    <message>
        <source>not found on the server: {url}</source>
        <translation>no se encontró en el servidor: {url}</translation>
    </message>
    <message>
        <source>not enough disk space in {folder}: {file} needs {needed} more plus {margin} to spare, {free} free</source>
        <translation>no hay espacio suficiente en el disco en {folder}: {file} necesita {needed} más, y {margin} de margen; hay {free} libres</translation>
    </message>
    <message>
        <source>{file}: got {done:,} bytes, expected {size:,}; the partial file was deleted, run again to download it fresh</source>
        <translation>{file}: se recibieron {done:,} bytes y se esperaban {size:,}; se eliminó el archivo parcial, vuelve a ejecutarlo para descargarlo de nuevo</translation>
    </message>
    <message>
        <source>{file} is corrupt: its sha256 is {digest}, the Hub says {expected}; the partial file was deleted, run again to download it fresh</source>
        <translation>{file} está dañado: su sha256 es {digest} y el Hub dice {expected}; se eliminó el archivo parcial, vuelve a ejecutarlo para descargarlo de nuevo</translation>
    </message>
    <message>
        <source>cannot create {folder}: {reason}</source>
        <translation>no se puede crear {folder}: {reason}</translation>
    </message>
    <message>
        <source>cannot write in {folder}: {reason}</source>
        <translation>no se puede escribir en {folder}: {reason}</translation>
    </message>
    <message>
        <source>writing to the disk failed ({reason}): {folder}; the partial file of {file} was deleted, as the disk may not hold all of it. Run again to download it fresh</source>
        <translation>falló la escritura en el disco ({reason}): {folder}; se eliminó el archivo parcial de {file}, porque puede que el disco no lo tenga entero. Vuelve a ejecutarlo para descargarlo de nuevo</translation>
    </message>
    <message>
        <source>the disk is full: {folder}; the partial file of {file} was deleted, as the disk may not hold all of it. Run again to download it fresh</source>
        <translation>el disco está lleno: {folder}; se eliminó el archivo parcial de {file}, porque puede que el disco no lo tenga entero. Vuelve a ejecutarlo para descargarlo de nuevo</translation>
    </message>
    <message>
        <source>the disk is full: {folder} ({done} of {file} kept; free some space and run again to resume)</source>
        <translation>el disco está lleno: {folder} (se conservan {done} de {file}; libera espacio y vuelve a ejecutarlo para reanudar)</translation>
    </message>
    <message>
        <source>download of {file} failed: {reason} (gave up after {retries} retries; run again to resume from {done})</source>
        <translation>falló la descarga de {file}: {reason} (se abandonó tras {retries} reintentos; vuelve a ejecutarlo para reanudar desde {done})</translation>
    </message>
    <message>
        <source>{title} is already in the downloads list (paused); resume or cancel it there</source>
        <translation>{title} ya está en la lista de descargas (en pausa); reanúdala o cancélala allí</translation>
    </message>
    <message>
        <source>{title} is already in the downloads list (queued); resume or cancel it there</source>
        <translation>{title} ya está en la lista de descargas (en cola); reanúdala o cancélala allí</translation>
    </message>
    <message>
        <source>{title} is already in the downloads list (running); resume or cancel it there</source>
        <translation>{title} ya está en la lista de descargas (en curso); reanúdala o cancélala allí</translation>
    </message>
    <message>
        <source>{file} is already being downloaded by another process: the window or `desktop-llm pull`. This one stops without touching its partial file; wait for that download to finish (or stop it), then try again</source>
        <translation>otro proceso ya está descargando {file}: la ventana o `desktop-llm pull`. Esta descarga se detiene sin tocar su archivo parcial; espera a que termine esa descarga (o detenla) y vuelve a intentarlo</translation>
    </message>
    <message>
        <source>{file} is already being downloaded by another process (pid {pid}): the window or `desktop-llm pull`. This one stops without touching its partial file; wait for that download to finish (or stop it), then try again</source>
        <translation>otro proceso (pid {pid}) ya está descargando {file}: la ventana o `desktop-llm pull`. Esta descarga se detiene sin tocar su archivo parcial; espera a que termine esa descarga (o detenla) y vuelve a intentarlo</translation>
    </message>
    <message>
        <source>refusing an unsafe file name from the server: {name!r}</source>
        <translation>se rechaza un nombre de archivo inseguro del servidor: {name!r}</translation>
    </message>
    <message>
        <source>refusing an unsafe file name from the server: {name!r} (empty)</source>
        <translation>se rechaza un nombre de archivo inseguro del servidor: {name!r} (vacío)</translation>
    </message>
    <message>
        <source>refusing an unsafe file name from the server: {name!r} (too long)</source>
        <translation>se rechaza un nombre de archivo inseguro del servidor: {name!r} (demasiado largo)</translation>
    </message>
    <message>
        <source>not a repository id (owner/name): {repo!r}</source>
        <translation>no es un identificador de repositorio (propietario/nombre): {repo!r}</translation>
    </message>
    <message>
        <source>refusing {file!r}: {other!r} is already in {folder} and differs from it only in case, so one would overwrite the other on a disk that ignores case (Windows, macOS); download one of them only, or delete the other first</source>
        <translation>se rechaza {file!r}: {other!r} ya está en {folder} y solo se diferencia en mayúsculas y minúsculas, así que uno sobrescribiría al otro en un disco que no las distingue (Windows, macOS); descarga solo uno de ellos o elimina antes el otro</translation>
    </message>
    <message>
        <source>refusing an unsafe file name from the server: {name!r} (a name longer than {limit} bytes)</source>
        <translation>se rechaza un nombre de archivo inseguro del servidor: {name!r} (un nombre de más de {limit} bytes)</translation>
    </message>
    <message>
        <source>refusing an unsafe file name from the server: {name!r} (a name Windows cannot store)</source>
        <translation>se rechaza un nombre de archivo inseguro del servidor: {name!r} (un nombre que Windows no puede guardar)</translation>
    </message>
    <message>
        <source>prompt ({n_prompt}) plus generated tokens ({n_gen}) must fit the context length ({n_ctx})</source>
        <translation>el prompt ({n_prompt}) más los tokens generados ({n_gen}) deben caber en la longitud de contexto ({n_ctx})</translation>
    </message>
    <message>
        <source>{draft} can&apos;t be the draft model of {model}: its vocabulary is of another kind; choose a draft model of the same family (the same tokenizer)</source>
        <translation>{draft} no puede ser el modelo borrador de {model}: su vocabulario es de otro tipo; elige un modelo borrador de la misma familia (el mismo tokenizador)</translation>
    </message>
    <message>
        <source>{draft} can&apos;t be the draft model of {model}: their start and end tokens differ; choose a draft model of the same family (the same tokenizer)</source>
        <translation>{draft} no puede ser el modelo borrador de {model}: sus tokens de inicio y fin son distintos; elige un modelo borrador de la misma familia (el mismo tokenizador)</translation>
    </message>
    <message>
        <source>{draft} can&apos;t be the draft model of {model}: its vocabulary has {n_draft:,} tokens and the model&apos;s {n_model:,}; choose a draft model of the same family (the same tokenizer)</source>
        <translation>{draft} no puede ser el modelo borrador de {model}: su vocabulario tiene {n_draft:,} tokens y el del modelo {n_model:,}; elige un modelo borrador de la misma familia (el mismo tokenizador)</translation>
    </message>
    <message>
        <source>{draft} can&apos;t be the draft model of {model}: token {token} differs between them; choose a draft model of the same family (the same tokenizer)</source>
        <translation>{draft} no puede ser el modelo borrador de {model}: el token {token} es distinto en cada uno; elige un modelo borrador de la misma familia (el mismo tokenizador)</translation>
    </message>
    <message>
        <source>the model was not loaded for embeddings</source>
        <translation>el modelo no se cargó para embeddings</translation>
    </message>
    <message>
        <source>the model does not pool its output into one vector per input</source>
        <translation>el modelo no agrupa su salida en un vector por entrada</translation>
    </message>
    <message>
        <source>input {index} is empty: send some text</source>
        <translation>la entrada {index} está vacía: envía algo de texto</translation>
    </message>
    <message>
        <source>input {index} is {tokens:,} tokens, more than this model embeds at once ({limit:,}); split it into shorter pieces</source>
        <translation>la entrada {index} tiene {tokens:,} tokens, más de los que este modelo procesa de una vez ({limit:,}); divídela en partes más cortas</translation>
    </message>
    <message>
        <source>input {index} has token id {token}, outside this model&apos;s vocabulary (0 to {last})</source>
        <translation>la entrada {index} tiene el id de token {token}, fuera del vocabulario de este modelo (0 a {last})</translation>
    </message>
    <message>
        <source>the conversation is {tokens:,} tokens, more than the context length ({n_ctx:,}); start a new chat or raise the context length</source>
        <translation>la conversación tiene {tokens:,} tokens, más que la longitud de contexto ({n_ctx:,}); empieza un chat nuevo o aumenta la longitud de contexto</translation>
    </message>
    <message>
        <source>the grammar is not valid GBNF (llama.cpp&apos;s log says where)</source>
        <translation>la gramática no es GBNF válida (el registro de llama.cpp dice dónde)</translation>
    </message>
    <message>
        <source>response_format.json_schema can&apos;t be turned into a grammar: {reason}; fix the schema (supported: type, properties, required, items, enum, const, anyOf/oneOf, local $ref, string and number bounds)</source>
        <translation>response_format.json_schema no se puede convertir en una gramática: {reason}; corrige el esquema (se admiten: type, properties, required, items, enum, const, anyOf/oneOf, $ref local, límites de cadenas y números)</translation>
    </message>
    <message>
        <source>could not load {name}: {reason}</source>
        <translation>no se pudo cargar {name}: {reason}</translation>
    </message>
    <message>
        <source>no model is loaded</source>
        <translation>no hay ningún modelo cargado</translation>
    </message>
    <message>
        <source>could not load {name}: {reason} ({log})</source>
        <translation>no se pudo cargar {name}: {reason} ({log})</translation>
    </message>
    <message>
        <source>llama.cpp could not load {name}: {reason}</source>
        <translation>llama.cpp no pudo cargar {name}: {reason}</translation>
    </message>
    <message>
        <source>llama.cpp could not load {draft}, the draft model of {model}: {reason}</source>
        <translation>llama.cpp no pudo cargar {draft}, el modelo borrador de {model}: {reason}</translation>
    </message>
    <message>
        <source>the text is too short to score: it needs at least two tokens</source>
        <translation>el texto es demasiado corto para puntuarlo: necesita al menos dos tokens</translation>
    </message>
    <message>
        <source>the window must be at least 16 tokens (got {window})</source>
        <translation>la ventana debe tener al menos 16 tokens (tiene {window})</translation>
    </message>
    <message>
        <source>scoring was cancelled</source>
        <translation>se canceló la puntuación</translation>
    </message>
    <message>
        <source>ggml has no device to lend</source>
        <translation>ggml no tiene ningún dispositivo que prestar</translation>
    </message>
    <message>
        <source>this engine was built without llama.cpp&apos;s RPC backend; rebuild it with `make engine` (every build adds -DGGML_RPC=ON)</source>
        <translation>este motor se compiló sin el backend RPC de llama.cpp; vuelve a compilarlo con `make engine` (cada compilación añade -DGGML_RPC=ON)</translation>
    </message>
    <message>
        <source>the engine&apos;s RPC backend lacks {name}</source>
        <translation>al backend RPC del motor le falta {name}</translation>
    </message>
    <message>
        <source>the RPC worker {endpoint} offers no device</source>
        <translation>el worker RPC {endpoint} no ofrece ningún dispositivo</translation>
    </message>
    <message>
        <source>{name} {plan}; close other programs, or choose a shorter context, a smaller model, or the GPU layers yourself</source>
        <translation>{name} {plan}; cierra otros programas, o elige un contexto más corto, un modelo más pequeño o tú mismo las capas en GPU</translation>
    </message>
    <message>
        <source>unknown chat template {name!r}; choose one of: {names}</source>
        <translation>plantilla de chat desconocida {name!r}; elige una de: {names}</translation>
    </message>
    <message>
        <source>this model has no chat template of its own; choose one of: {names}</source>
        <translation>este modelo no tiene plantilla de chat propia; elige una de: {names}</translation>
    </message>
    <message>
        <source>tools need the model&apos;s own chat template; this model uses {template}</source>
        <translation>las herramientas necesitan la plantilla de chat propia del modelo; este modelo usa {template}</translation>
    </message>
    <message>
        <source>the model&apos;s chat template failed: {reason}; choose a template in the model&apos;s settings</source>
        <translation>falló la plantilla de chat del modelo: {reason}; elige una plantilla en los ajustes del modelo</translation>
    </message>
    <message>
        <source>the model&apos;s own chat template (from the GGUF) tried to build a formatted string larger than {mb} MB; choose a built-in template for this model in the chat settings</source>
        <translation>la plantilla de chat propia del modelo (del GGUF) intentó crear una cadena con formato de más de {mb} MB; elige una plantilla integrada para este modelo en los ajustes del chat</translation>
    </message>
    <message>
        <source>the model&apos;s chat template failed: {reason} (line {line}); choose a template in the model&apos;s settings</source>
        <translation>falló la plantilla de chat del modelo: {reason} (línea {line}); elige una plantilla en los ajustes del modelo</translation>
    </message>
    <message>
        <source>the model&apos;s own chat template (from the GGUF) tried to build a string larger than {mb} MB; choose a built-in template for this model in the chat settings</source>
        <translation>la plantilla de chat propia del modelo (del GGUF) intentó crear una cadena de más de {mb} MB; elige una plantilla integrada para este modelo en los ajustes del chat</translation>
    </message>
    <message>
        <source>the model&apos;s own chat template (from the GGUF) tried to build a repeated value larger than {mb} MB; choose a built-in template for this model in the chat settings</source>
        <translation>la plantilla de chat propia del modelo (del GGUF) intentó crear un valor repetido de más de {mb} MB; elige una plantilla integrada para este modelo en los ajustes del chat</translation>
    </message>
    <message>
        <source>the model&apos;s own chat template (from the GGUF) passed the number {number} to a function; choose a built-in template for this model in the chat settings</source>
        <translation>la plantilla de chat propia del modelo (del GGUF) pasó el número {number} a una función; elige una plantilla integrada para este modelo en los ajustes del chat</translation>
    </message>
    <message>
        <source>the model&apos;s own chat template (from the GGUF) took longer than {limit:g} s to render; choose a built-in template for this model in the chat settings</source>
        <translation>la plantilla de chat propia del modelo (del GGUF) tardó más de {limit:g} s en generarse; elige una plantilla integrada para este modelo en los ajustes del chat</translation>
    </message>
    <message>
        <source>the model&apos;s own chat template (from the GGUF) tried to build a prompt larger than {mb} MB; choose a built-in template for this model in the chat settings</source>
        <translation>la plantilla de chat propia del modelo (del GGUF) intentó crear un prompt de más de {mb} MB; elige una plantilla integrada para este modelo en los ajustes del chat</translation>
    </message>
    <message>
        <source>the model&apos;s own chat template (from the GGUF) tried to build a value larger than {mb} MB; choose a built-in template for this model in the chat settings</source>
        <translation>la plantilla de chat propia del modelo (del GGUF) intentó crear un valor de más de {mb} MB; elige una plantilla integrada para este modelo en los ajustes del chat</translation>
    </message>
    <message>
        <source>the model&apos;s own chat template (from the GGUF) used more than {mb} MB of memory to render; choose a built-in template for this model in the chat settings</source>
        <translation>la plantilla de chat propia del modelo (del GGUF) usó más de {mb} MB de memoria al generarse; elige una plantilla integrada para este modelo en los ajustes del chat</translation>
    </message>
    <message>
        <source>the model&apos;s own chat template (from the GGUF) raised a number to the power {power}; choose a built-in template for this model in the chat settings</source>
        <translation>la plantilla de chat propia del modelo (del GGUF) elevó un número a la potencia {power}; elige una plantilla integrada para este modelo en los ajustes del chat</translation>
    </message>
    <message>
        <source>the request was cancelled</source>
        <translation>se canceló la petición</translation>
    </message>
    <message>
        <source>--rpc: {value!r} is not HOST:PORT (e.g. 192.168.1.20:{port})</source>
        <translation>--rpc: {value!r} no es HOST:PUERTO (p. ej. 192.168.1.20:{port})</translation>
    </message>
    <message>
        <source>--rpc: {value!r}: IPv6 addresses are not supported; use IPv4 or a name</source>
        <translation>--rpc: {value!r}: no se admiten direcciones IPv6; usa IPv4 o un nombre</translation>
    </message>
    <message>
        <source>--rpc: {value!r}: the port must be a number from 1 to 65535</source>
        <translation>--rpc: {value!r}: el puerto debe ser un número de 1 a 65535</translation>
    </message>
    <message>
        <source>--rpc: no worker given (write HOST:PORT[,HOST:PORT...])</source>
        <translation>--rpc: no se indicó ningún worker (escribe HOST:PUERTO[,HOST:PUERTO...])</translation>
    </message>
    <message>
        <source>--rpc: {endpoint} is named twice</source>
        <translation>--rpc: {endpoint} aparece dos veces</translation>
    </message>
    <message>
        <source>--rpc: at most 16 workers (GGML_RPC_MAX_SERVERS)</source>
        <translation>--rpc: 16 workers como máximo (GGML_RPC_MAX_SERVERS)</translation>
    </message>
    <message>
        <source>the RPC worker {endpoint} speaks RPC {version}, this engine {ours}: run the same desktop-llm (llama.cpp) version on both PCs</source>
        <translation>el worker RPC {endpoint} habla RPC {version} y este motor {ours}: usa la misma versión de desktop-llm (llama.cpp) en ambos PC</translation>
    </message>
    <message>
        <source>the RPC worker {endpoint} has no device</source>
        <translation>el worker RPC {endpoint} no tiene ningún dispositivo</translation>
    </message>
    <message>
        <source>cannot reach the RPC worker {endpoint}: no answer</source>
        <translation>no se puede contactar con el worker RPC {endpoint}: no responde</translation>
    </message>
    <message>
        <source>cannot reach the RPC worker {endpoint}: {reason}</source>
        <translation>no se puede contactar con el worker RPC {endpoint}: {reason}</translation>
    </message>
    <message>
        <source>the RPC worker {endpoint} does not answer: it is busy serving another program (a worker serves one at a time), or it is not an rpc-worker</source>
        <translation>el worker RPC {endpoint} no responde: está ocupado atendiendo a otro programa (un worker atiende a uno cada vez), o no es un rpc-worker</translation>
    </message>
    <message>
        <source>the RPC worker {endpoint} closed the connection ({reason}); it may run another llama.cpp version (this one speaks RPC {version})</source>
        <translation>el worker RPC {endpoint} cerró la conexión ({reason}); puede que use otra versión de llama.cpp (esta habla RPC {version})</translation>
    </message>
    <message>
        <source>needs {needed} of GPU memory, {free} free</source>
        <translation>necesita {needed} de memoria de GPU, hay {free} libres</translation>
    </message>
    <message>
        <source>CPU only: the GPU has {free} free, not enough for one layer</source>
        <translation>solo CPU: la GPU tiene {free} libres, no basta para una capa</translation>
    </message>
    <message>
        <source>context cut from {requested:,} to {ctx:,} tokens to fit</source>
        <translation>contexto reducido de {requested:,} a {ctx:,} tokens para que quepa</translation>
    </message>
    <message>
        <source>needs {needed} of RAM, {free} free</source>
        <translation>necesita {needed} de RAM, hay {free} libres</translation>
    </message>
    <message>
        <source>needs {needed} of memory, {free} free</source>
        <translation>necesita {needed} de memoria, hay {free} libres</translation>
    </message>
    <message>
        <source>needs {needed} of GPU memory, {free} free (some must stay free for the system)</source>
        <translation>necesita {needed} de memoria de GPU, hay {free} libres (parte debe quedar libre para el sistema)</translation>
    </message>
    <message>
        <source>all {n} layers on the GPU</source>
        <translation>las {n} capas en la GPU</translation>
    </message>
    <message>
        <source>{on_gpu} of {n} layers on the GPU, the rest on the CPU</source>
        <translation>{on_gpu} de {n} capas en la GPU, el resto en la CPU</translation>
    </message>
    <message>
        <source>CPU only (GPU layers set to 0)</source>
        <translation>solo CPU (capas en GPU puestas a 0)</translation>
    </message>
    <message>
        <source>CPU only: no GPU found</source>
        <translation>solo CPU: no se encontró ninguna GPU</translation>
    </message>
    <message>
        <source>CPU only: the engine has no GPU support, see Settings &gt; Hardware</source>
        <translation>solo CPU: el motor no tiene soporte de GPU, mira Ajustes &gt; Hardware</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>solo CPU</translation>
    </message>
    <message>
        <source>CPU only: the GPU&apos;s free memory is unknown; set the GPU layers by hand</source>
        <translation>solo CPU: no se sabe cuánta memoria libre tiene la GPU; fija tú las capas en GPU</translation>
    </message>
    <message>
        <source>not enough memory</source>
        <translation>no hay memoria suficiente</translation>
    </message>
    <message>
        <source>needs {needed} of RAM, {free} free (some must stay free for the system)</source>
        <translation>necesita {needed} de RAM, hay {free} libres (parte debe quedar libre para el sistema)</translation>
    </message>
    <message>
        <source>needs {needed} of memory, {free} free (some must stay free for the system)</source>
        <translation>necesita {needed} de memoria, hay {free} libres (parte debe quedar libre para el sistema)</translation>
    </message>
    <message>
        <source>split over {count} places, layers: {layers}</source>
        <translation>repartido en {count} sitios, capas: {layers}</translation>
    </message>
    <message>
        <source>{name} needs {needed}, {free} free</source>
        <translation>{name} necesita {needed}, hay {free} libres</translation>
    </message>
    <message>
        <source>{repo} is gated: accept its license on https://huggingface.co/{repo} and add an access token in Settings (or set HF_TOKEN)</source>
        <translation>{repo} está restringido: acepta su licencia en https://huggingface.co/{repo} y añade un token de acceso en Ajustes (o define HF_TOKEN)</translation>
    </message>
    <message>
        <source>no connection to Hugging Face: offline mode is on (HF_HUB_OFFLINE)</source>
        <translation>no hay conexión con Hugging Face: el modo sin conexión está activado (HF_HUB_OFFLINE)</translation>
    </message>
    <message>
        <source>no model repository &apos;{repo}&apos; on Hugging Face (if it is private, add an access token in Settings)</source>
        <translation>no hay ningún repositorio de modelos &apos;{repo}&apos; en Hugging Face (si es privado, añade un token de acceso en Ajustes)</translation>
    </message>
    <message>
        <source>{repo} has no revision &apos;{revision}&apos;</source>
        <translation>{repo} no tiene la revisión &apos;{revision}&apos;</translation>
    </message>
    <message>
        <source>Hugging Face answered HTTP {code} for {where}</source>
        <translation>Hugging Face respondió HTTP {code} para {where}</translation>
    </message>
    <message>
        <source>no connection to Hugging Face: {reason} ({endpoint})</source>
        <translation>no hay conexión con Hugging Face: {reason} ({endpoint})</translation>
    </message>
    <message>
        <source>no connection to Hugging Face: {reason}</source>
        <translation>no hay conexión con Hugging Face: {reason}</translation>
    </message>
    <message>
        <source>no file or quantization &apos;{wanted}&apos; in this repository (has: {known})</source>
        <translation>no hay ningún archivo ni cuantización &apos;{wanted}&apos; en este repositorio (tiene: {known})</translation>
    </message>
    <message>
        <source>this repository has no GGUF model files</source>
        <translation>este repositorio no tiene archivos de modelo GGUF</translation>
    </message>
    <message>
        <source>no file fits this computer: the smallest, {name}, {detail} (name a file to download it anyway)</source>
        <translation>ningún archivo cabe en este ordenador: el más pequeño, {name}, {detail} (indica un archivo para descargarlo de todos modos)</translation>
    </message>
    <message>
        <source>cannot save the token in {path}: {reason}</source>
        <translation>no se puede guardar el token en {path}: {reason}</translation>
    </message>
    <message>
        <source>truncated GGUF file: {path} (has {has}, needs {needs})</source>
        <translation>archivo GGUF truncado: {path} (tiene {has}, necesita {needs})</translation>
    </message>
    <message>
        <source>file not found: {path}</source>
        <translation>no se encontró el archivo: {path}</translation>
    </message>
    <message>
        <source>not a file: {path} (it is a folder)</source>
        <translation>no es un archivo: {path} (es una carpeta)</translation>
    </message>
    <message>
        <source>cannot read {path}: permission denied</source>
        <translation>no se puede leer {path}: permiso denegado</translation>
    </message>
    <message>
        <source>not a GGUF file: {path} ({reason})</source>
        <translation>no es un archivo GGUF: {path} ({reason})</translation>
    </message>
    <message>
        <source>empty file: {path}</source>
        <translation>archivo vacío: {path}</translation>
    </message>
    <message>
        <source>truncated GGUF file: {path} (has {size}, which ends inside the header)</source>
        <translation>archivo GGUF truncado: {path} (tiene {size}, que termina dentro de la cabecera)</translation>
    </message>
    <message>
        <source>{file} is already imported as &apos;{name}&apos;</source>
        <translation>{file} ya está importado como &apos;{name}&apos;</translation>
    </message>
    <message>
        <source>{file} is already in the library as &apos;{name}&apos; (a copy with the same sha256)</source>
        <translation>{file} ya está en la biblioteca como &apos;{name}&apos; (una copia con el mismo sha256)</translation>
    </message>
    <message>
        <source>{file} is already in the library as &apos;{name}&apos; (the same file under another path)</source>
        <translation>{file} ya está en la biblioteca como &apos;{name}&apos; (el mismo archivo en otra ruta)</translation>
    </message>
    <message>
        <source>no model named &apos;{ref}&apos; (installed: {known})</source>
        <translation>no hay ningún modelo llamado &apos;{ref}&apos; (instalados: {known})</translation>
    </message>
    <message>
        <source>the file of model &apos;{name}&apos; is gone: {path} (remove it with: desktop-llm rm &quot;{name}&quot;)</source>
        <translation>el archivo del modelo &apos;{name}&apos; ya no está: {path} (quítalo con: desktop-llm rm &quot;{name}&quot;)</translation>
    </message>
    <message>
        <source>no model named &apos;{ref}&apos; (installed: none installed)</source>
        <translation>no hay ningún modelo llamado &apos;{ref}&apos; (instalados: ninguno)</translation>
    </message>
    <message>
        <source>cannot delete {path}: {reason}</source>
        <translation>no se puede eliminar {path}: {reason}</translation>
    </message>
    <message>
        <source>GPU layers must be &apos;auto&apos;, &apos;all&apos; or a number of layers, not {value!r}</source>
        <translation>las capas en GPU deben ser &apos;auto&apos;, &apos;all&apos; o un número de capas, no {value!r}</translation>
    </message>
    <message>
        <source>context length must be between {min} and {max:,}, not {value!r}</source>
        <translation>la longitud de contexto debe estar entre {min} y {max:,}, no {value!r}</translation>
    </message>
    <message>
        <source>batch size must be at least 1, not {value!r}</source>
        <translation>el tamaño de lote debe ser al menos 1, no {value!r}</translation>
    </message>
    <message>
        <source>KV cache type must be one of {names}, not {value!r}</source>
        <translation>el tipo de caché KV debe ser uno de {names}, no {value!r}</translation>
    </message>
    <message>
        <source>speculative decoding must be one of {names}, not {value!r}</source>
        <translation>la decodificación especulativa debe ser una de {names}, no {value!r}</translation>
    </message>
    <message>
        <source>the draft model must be a model file, not {value!r}</source>
        <translation>el modelo borrador debe ser un archivo de modelo, no {value!r}</translation>
    </message>
    <message>
        <source>{key} must be true or false, not {value!r}</source>
        <translation>{key} debe ser true o false, no {value!r}</translation>
    </message>
    <message>
        <source>the draft model of {model} is gone: {path}; choose another one, or turn speculative decoding off</source>
        <translation>el modelo borrador de {model} ya no está: {path}; elige otro o desactiva la decodificación especulativa</translation>
    </message>
    <message>
        <source>{model} can&apos;t use a {kv} KV cache: its attention head size ({head}) is not a multiple of 32; use f16</source>
        <translation>{model} no puede usar una caché KV {kv}: el tamaño de sus cabezas de atención ({head}) no es múltiplo de 32; usa f16</translation>
    </message>
    <message>
        <source>threads must be at least 1, not {value!r}</source>
        <translation>los hilos deben ser al menos 1, no {value!r}</translation>
    </message>
    <message>
        <source>a {kv} KV cache needs flash attention on (llama.cpp quantizes the V cache only with flash attention)</source>
        <translation>una caché KV {kv} necesita flash attention activado (llama.cpp cuantiza la caché V solo con flash attention)</translation>
    </message>
    <message>
        <source>speculative decoding with a draft model needs one: choose it</source>
        <translation>la decodificación especulativa con un modelo borrador necesita uno: elígelo</translation>
    </message>
    <message>
        <source>speculative decoding needs flash attention off, and a {kv} KV cache needs it on: choose one of them</source>
        <translation>la decodificación especulativa necesita flash attention desactivado, y una caché KV {kv} lo necesita activado: elige una de las dos</translation>
    </message>
    <message>
        <source>speculative decoding needs flash attention off (or automatic): with it on, the checked drafts may not give the same tokens</source>
        <translation>la decodificación especulativa necesita flash attention desactivado (o automático): activado, los borradores comprobados podrían no dar los mismos tokens</translation>
    </message>
    <message>
        <source>{env}: expected SOURCE=FOLDER entries with SOURCE one of {sources}, not {entry!r}</source>
        <translation>{env}: se esperaban entradas SOURCE=FOLDER con SOURCE uno de {sources}, no {entry!r}</translation>
    </message>
    <message>
        <source>remote server {server} ({url}) failed: {reason}</source>
        <translation>falló el servidor remoto {server} ({url}): {reason}</translation>
    </message>
    <message>
        <source>remote server {server} ({url}) sent nothing within {timeout:g} s (busy or stuck; the timeout is set with `desktop-llm remote add --timeout`)</source>
        <translation>el servidor remoto {server} ({url}) no envió nada en {timeout:g} s (ocupado o bloqueado; el tiempo de espera se ajusta con `desktop-llm remote add --timeout`)</translation>
    </message>
    <message>
        <source>remote server {server} ({url}) refused the API key ({status}): set the right one with `desktop-llm remote add {server} URL --api-key KEY --replace`</source>
        <translation>el servidor remoto {server} ({url}) rechazó la clave de API ({status}): pon la correcta con `desktop-llm remote add {server} URL --api-key KEY --replace`</translation>
    </message>
    <message>
        <source>remote server {server} ({url}) has no what was asked (404); `desktop-llm remote models {server}` lists it</source>
        <translation>el servidor remoto {server} ({url}) no tiene lo que se pidió (404); `desktop-llm remote models {server}` lo muestra</translation>
    </message>
    <message>
        <source>remote server {server} ({url}) answered {status}: {reason}</source>
        <translation>el servidor remoto {server} ({url}) respondió {status}: {reason}</translation>
    </message>
    <message>
        <source>cannot reach remote server {server} ({url}): {reason}</source>
        <translation>no se puede contactar con el servidor remoto {server} ({url}): {reason}</translation>
    </message>
    <message>
        <source>the connection to remote server {server} ({url}) dropped ({reason})</source>
        <translation>se cortó la conexión con el servidor remoto {server} ({url}) ({reason})</translation>
    </message>
    <message>
        <source>cannot talk securely to remote server {server} ({url}): its certificate is not trusted ({reason})</source>
        <translation>no se puede hablar de forma segura con el servidor remoto {server} ({url}): su certificado no es de confianza ({reason})</translation>
    </message>
    <message>
        <source>cannot talk securely to remote server {server} ({url}): the secure connection failed ({reason})</source>
        <translation>no se puede hablar de forma segura con el servidor remoto {server} ({url}): falló la conexión segura ({reason})</translation>
    </message>
    <message>
        <source>remote server {server} ({url}) has no model &apos;{model}&apos; (404); `desktop-llm remote models {server}` lists it</source>
        <translation>el servidor remoto {server} ({url}) no tiene el modelo &apos;{model}&apos; (404); `desktop-llm remote models {server}` muestra los que tiene</translation>
    </message>
    <message>
        <source>cannot reach remote server {server} ({url}): is it running, and is the address right?</source>
        <translation>no se puede contactar con el servidor remoto {server} ({url}): ¿está en marcha y es correcta la dirección?</translation>
    </message>
    <message>
        <source>the connection to remote server {server} ({url}) dropped</source>
        <translation>se cortó la conexión con el servidor remoto {server} ({url})</translation>
    </message>
    <message>
        <source>perplexity needs a local model: remote server {server} ({url}) does not give the log-probabilities of a whole text</source>
        <translation>la perplejidad necesita un modelo local: el servidor remoto {server} ({url}) no da las log-probabilidades de un texto completo</translation>
    </message>
    <message>
        <source>{model!r} is not a model of remote server {server} ({url})</source>
        <translation>{model!r} no es un modelo del servidor remoto {server} ({url})</translation>
    </message>
    <message>
        <source>remote server {server} ({url}) has no model &apos;{model}&apos; (it offers: {offered})</source>
        <translation>el servidor remoto {server} ({url}) no tiene el modelo &apos;{model}&apos; (ofrece: {offered})</translation>
    </message>
    <message>
        <source>no model of remote server {server} ({url}) is chosen</source>
        <translation>no hay ningún modelo del servidor remoto {server} ({url}) elegido</translation>
    </message>
    <message>
        <source>remote server {server} ({url}) has no model &apos;{model}&apos; (it offers: none)</source>
        <translation>el servidor remoto {server} ({url}) no tiene el modelo &apos;{model}&apos; (no ofrece ninguno)</translation>
    </message>
    <message>
        <source>bad server name {name!r}: use 1-40 letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;, starting with a letter or digit</source>
        <translation>nombre de servidor no válido {name!r}: usa de 1 a 40 letras, dígitos, &apos;.&apos;, &apos;_&apos; o &apos;-&apos;, empezando por una letra o un dígito</translation>
    </message>
    <message>
        <source>bad server URL {url!r}: give http://HOST:PORT or https://HOST (for example http://192.168.1.20:8000/v1)</source>
        <translation>URL de servidor no válida {url!r}: indica http://HOST:PUERTO o https://HOST (por ejemplo http://192.168.1.20:8000/v1)</translation>
    </message>
    <message>
        <source>the server URL {url!r} must not have a query or fragment</source>
        <translation>la URL del servidor {url!r} no debe tener consulta ni fragmento</translation>
    </message>
    <message>
        <source>no remote server named {name!r} (servers: {known}; add one with `desktop-llm remote add NAME URL`)</source>
        <translation>no hay ningún servidor remoto llamado {name!r} (servidores: {known}; añade uno con `desktop-llm remote add NAME URL`)</translation>
    </message>
    <message>
        <source>bad remote model {spec!r}: write SERVER::MODEL_ID</source>
        <translation>modelo remoto no válido {spec!r}: escribe SERVER::MODEL_ID</translation>
    </message>
    <message>
        <source>bad port in server URL {url!r}</source>
        <translation>puerto no válido en la URL del servidor {url!r}</translation>
    </message>
    <message>
        <source>no remote server named {name!r} (servers: none yet; add one with `desktop-llm remote add NAME URL`)</source>
        <translation>no hay ningún servidor remoto llamado {name!r} (aún no hay servidores; añade uno con `desktop-llm remote add NAME URL`)</translation>
    </message>
    <message>
        <source>the first-token timeout must be above 0 seconds</source>
        <translation>el tiempo de espera del primer token debe ser mayor que 0 segundos</translation>
    </message>
    <message>
        <source>a remote server named {name!r} exists; remove it first</source>
        <translation>ya existe un servidor remoto llamado {name!r}; elimínalo primero</translation>
    </message>
    <message>
        <source>cannot read the remote servers in {path}: {reason}</source>
        <translation>no se pueden leer los servidores remotos de {path}: {reason}</translation>
    </message>
    <message>
        <source>cannot save the remote servers in {path}: {reason}</source>
        <translation>no se pueden guardar los servidores remotos en {path}: {reason}</translation>
    </message>
    <message>
        <source>{path} already exists; choose another name</source>
        <translation>{path} ya existe; elige otro nombre</translation>
    </message>
    <message>
        <source>folder not found: {path}</source>
        <translation>no se encuentra la carpeta: {path}</translation>
    </message>
    <message>
        <source>not a file: {path}</source>
        <translation>no es un archivo: {path}</translation>
    </message>
    <message>
        <source>not a SQLite database: {path} (empty file)</source>
        <translation>no es una base de datos SQLite: {path} (archivo vacío)</translation>
    </message>
    <message>
        <source>not a SQLite database: {path}</source>
        <translation>no es una base de datos SQLite: {path}</translation>
    </message>
    <message>
        <source>damaged database: {path} (truncated file)</source>
        <translation>base de datos dañada: {path} (archivo truncado)</translation>
    </message>
    <message>
        <source>{path} was made by a newer version of desktop-llm (unknown migrations: {migrations}); update desktop-llm to restore it</source>
        <translation>{path} se creó con una versión más reciente de desktop-llm (migraciones desconocidas: {migrations}); actualiza desktop-llm para restaurarlo</translation>
    </message>
    <message>
        <source>not a desktop-llm chat database: {path} (no migrations applied)</source>
        <translation>no es una base de datos de chats de desktop-llm: {path} (no tiene migraciones aplicadas)</translation>
    </message>
    <message>
        <source>{path} is the database itself; choose a backup to restore</source>
        <translation>{path} es la propia base de datos; elige una copia de seguridad para restaurar</translation>
    </message>
    <message>
        <source>no chat database at {path} yet: nothing to back up</source>
        <translation>aún no hay base de datos de chats en {path}: no hay nada que copiar</translation>
    </message>
    <message>
        <source>the database {path} is in use; close what uses it and try again</source>
        <translation>la base de datos {path} está en uso; cierra lo que la usa y vuelve a intentarlo</translation>
    </message>
    <message>
        <source>cannot create folder {path}: {reason}</source>
        <translation>no se puede crear la carpeta {path}: {reason}</translation>
    </message>
    <message>
        <source>the backup of {path} failed its check: {problem}</source>
        <translation>la copia de seguridad de {path} no pasó la comprobación: {problem}</translation>
    </message>
    <message>
        <source>cannot back up {path}: {reason}</source>
        <translation>no se puede hacer una copia de seguridad de {path}: {reason}</translation>
    </message>
    <message>
        <source>cannot write the backup {path}: {reason}</source>
        <translation>no se puede escribir la copia de seguridad {path}: {reason}</translation>
    </message>
    <message>
        <source>damaged database: {path} ({reason})</source>
        <translation>base de datos dañada: {path} ({reason})</translation>
    </message>
    <message>
        <source>the database {path} is in use ({reason}); close what uses it</source>
        <translation>la base de datos {path} está en uso ({reason}); cierra lo que la usa</translation>
    </message>
    <message>
        <source>damaged database: {path} ({problem})</source>
        <translation>base de datos dañada: {path} ({problem})</translation>
    </message>
    <message>
        <source>not a desktop-llm chat database: {path} (no migrations table)</source>
        <translation>no es una base de datos de chats de desktop-llm: {path} (no tiene tabla de migraciones)</translation>
    </message>
    <message>
        <source>cannot prepare {path} for restoring: {reason}</source>
        <translation>no se puede preparar {path} para restaurarlo: {reason}</translation>
    </message>
    <message>
        <source>no chat with id {id}</source>
        <translation>no hay ningún chat con id {id}</translation>
    </message>
    <message>
        <source>a chat title cannot be empty</source>
        <translation>el título de un chat no puede estar vacío</translation>
    </message>
    <message>
        <source>no conversation with id {id}</source>
        <translation>no hay ninguna conversación con id {id}</translation>
    </message>
    <message>
        <source>no message with id {id}</source>
        <translation>no hay ningún mensaje con id {id}</translation>
    </message>
    <message>
        <source>a vote is one of {outcomes}, not {outcome!r}</source>
        <translation>un voto es uno de estos: {outcomes}, no {outcome!r}</translation>
    </message>
    <message>
        <source>a vote needs two different models</source>
        <translation>un voto necesita dos modelos distintos</translation>
    </message>
    <message>
        <source>no comparison with id {id}</source>
        <translation>no hay ninguna comparación con id {id}</translation>
    </message>
    <message>
        <source>the disk is full: cannot save to {path}. Free some space and try again; what was saved before is kept</source>
        <translation>el disco está lleno: no se puede guardar en {path}. Libera espacio y vuelve a intentarlo; lo que ya estaba guardado se conserva</translation>
    </message>
    <message>
        <source>the database {path} is busy: another program kept it locked; try again</source>
        <translation>la base de datos {path} está ocupada: otro programa la mantuvo bloqueada; vuelve a intentarlo</translation>
    </message>
    <message>
        <source>cannot write to the database {path}: {reason}</source>
        <translation>no se puede escribir en la base de datos {path}: {reason}</translation>
    </message>
    <message>
        <source>cannot open database {path}: {reason}</source>
        <translation>no se puede abrir la base de datos {path}: {reason}</translation>
    </message>
    <message>
        <source>not a SQLite database: {path} (file is not a database)</source>
        <translation>no es una base de datos SQLite: {path} (el archivo no es una base de datos)</translation>
    </message>
    <message>
        <source>the database {path} was made by a newer version of desktop-llm (unknown migrations: {migrations}); update desktop-llm to open it</source>
        <translation>la base de datos {path} se creó con una versión más reciente de desktop-llm (migraciones desconocidas: {migrations}); actualiza desktop-llm para abrirla</translation>
    </message>
    <message>
        <source>a model name cannot be empty</source>
        <translation>el nombre de un modelo no puede estar vacío</translation>
    </message>
    <message>
        <source>no model with id {id}</source>
        <translation>no hay ningún modelo con id {id}</translation>
    </message>
    <message>
        <source>already imported as &apos;{name}&apos;</source>
        <translation>ya se importó como &apos;{name}&apos;</translation>
    </message>
    <message>
        <source>a model named &apos;{name}&apos; already exists</source>
        <translation>ya existe un modelo llamado &apos;{name}&apos;</translation>
    </message>
    <message>
        <source>a preset needs a name</source>
        <translation>un preajuste necesita un nombre</translation>
    </message>
    <message>
        <source>a preset name can have at most {count} characters</source>
        <translation>el nombre de un preajuste puede tener como máximo {count} caracteres</translation>
    </message>
    <message>
        <source>no preset with id {id}</source>
        <translation>no hay ningún preajuste con id {id}</translation>
    </message>
    <message>
        <source>no preset named {name!r}; the presets are: {names}</source>
        <translation>no hay ningún preajuste llamado {name!r}; los preajustes son: {names}</translation>
    </message>
    <message>
        <source>{name!r} is a built-in preset and can&apos;t be changed or deleted; save your own under another name</source>
        <translation>{name!r} es un preajuste integrado y no se puede cambiar ni eliminar; guarda el tuyo con otro nombre</translation>
    </message>
    <message>
        <source>there is already a preset named {name!r}</source>
        <translation>ya hay un preajuste llamado {name!r}</translation>
    </message>
    <message>
        <source>no such file or folder</source>
        <translation>no existe ese archivo o carpeta</translation>
    </message>
    <message>
        <source>permission denied</source>
        <translation>permiso denegado</translation>
    </message>
    <message>
        <source>the disk is full</source>
        <translation>el disco está lleno</translation>
    </message>
    <message>
        <source>the disk quota is used up</source>
        <translation>se agotó la cuota de disco</translation>
    </message>
    <message>
        <source>the disk is read-only</source>
        <translation>el disco es de solo lectura</translation>
    </message>
    <message>
        <source>it is a folder, not a file</source>
        <translation>es una carpeta, no un archivo</translation>
    </message>
    <message>
        <source>part of the path is not a folder</source>
        <translation>parte de la ruta no es una carpeta</translation>
    </message>
    <message>
        <source>it exists already</source>
        <translation>ya existe</translation>
    </message>
    <message>
        <source>the port is in use by another program</source>
        <translation>otro programa está usando el puerto</translation>
    </message>
    <message>
        <source>this computer has no such address</source>
        <translation>este ordenador no tiene esa dirección</translation>
    </message>
    <message>
        <source>nothing answers there (connection refused)</source>
        <translation>nadie responde ahí (conexión rechazada)</translation>
    </message>
    <message>
        <source>the connection was dropped</source>
        <translation>se cortó la conexión</translation>
    </message>
    <message>
        <source>no answer in time</source>
        <translation>no hubo respuesta a tiempo</translation>
    </message>
    <message>
        <source>the computer can&apos;t be reached</source>
        <translation>no se puede llegar a ese ordenador</translation>
    </message>
    <message>
        <source>no network</source>
        <translation>no hay red</translation>
    </message>
    <message>
        <source>too many files open</source>
        <translation>demasiados archivos abiertos</translation>
    </message>
    <message>
        <source>folder is not writable: {path}</source>
        <translation>no se puede escribir en la carpeta: {path}</translation>
    </message>
    <message>
        <source>cannot create the lock file {path}: check the folder&apos;s permissions</source>
        <translation>no se puede crear el archivo de bloqueo {path}: revisa los permisos de la carpeta</translation>
    </message>
    <message>
        <source>{app} is already running with the data folder {folder}. Switch to its window, or close it first.</source>
        <translation>{app} ya está en marcha con la carpeta de datos {folder}. Cambia a su ventana o ciérralo primero.</translation>
    </message>
    <message>
        <source>{app} is already running (process {pid}) with the data folder {folder}. Switch to its window, or close it first.</source>
        <translation>{app} ya está en marcha (proceso {pid}) con la carpeta de datos {folder}. Cambia a su ventana o ciérralo primero.</translation>
    </message>
    <message>
        <source>will not fit: {problems}</source>
        <translation>no cabe: {problems}</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Export</source>
        <translation>Exportar</translation>
    </message>
    <message>
        <source>Export every chat as:</source>
        <translation>Exportar todos los chats como:</translation>
    </message>
    <message>
        <source>Export “{title}” as:</source>
        <translation>Exportar «{title}» como:</translation>
    </message>
    <message>
        <source>Markdown, to read or share</source>
        <translation>Markdown, para leer o compartir</translation>
    </message>
    <message>
        <source>JSON, to import again: every branch, model, setting and stat</source>
        <translation>JSON, para volver a importar: todas las ramas, modelos, ajustes y estadísticas</translation>
    </message>
    <message>
        <source>Every branch, not only the one shown</source>
        <translation>Todas las ramas, no solo la que se muestra</translation>
    </message>
</context>
<context>
    <name>HardwareDialog</name>
    <message>
        <source>CPU: {model}, {cores} cores ({threads} threads); {isa}</source>
        <translation>CPU: {model}, {cores} núcleos ({threads} hilos); {isa}</translation>
    </message>
    <message>
        <source>unknown model</source>
        <translation>modelo desconocido</translation>
    </message>
    <message>
        <source>instruction sets unknown</source>
        <translation>juegos de instrucciones desconocidos</translation>
    </message>
    <message>
        <source>RAM: {total} total, {free} free</source>
        <translation>RAM: {total} en total, {free} libres</translation>
    </message>
    <message>
        <source>GPU: none found</source>
        <translation>GPU: no se encontró ninguna</translation>
    </message>
    <message>
        <source>GPU: {gpu}</source>
        <translation>GPU: {gpu}</translation>
    </message>
    <message>
        <source>engine</source>
        <translation>motor</translation>
    </message>
    <message>
        <source>can offload to the GPU</source>
        <translation>puede descargar trabajo en la GPU</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>solo CPU</translation>
    </message>
    <message>
        <source>Engine: {version}, backend {backend} ({offload})</source>
        <translation>Motor: {version}, backend {backend} ({offload})</translation>
    </message>
    <message>
        <source>To use the GPU, reinstall the engine with:</source>
        <translation>Para usar la GPU, reinstala el motor con:</translation>
    </message>
    <message>
        <source>Note: {note}</source>
        <translation>Nota: {note}</translation>
    </message>
    <message>
        <source>unified memory, {free} usable by the GPU of {total}</source>
        <translation>memoria unificada, {free} utilizables por la GPU de {total}</translation>
    </message>
    <message>
        <source>unified memory</source>
        <translation>memoria unificada</translation>
    </message>
    <message>
        <source>{total}, {free} free</source>
        <translation>{total}, {free} libres</translation>
    </message>
    <message>
        <source>memory unknown</source>
        <translation>memoria desconocida</translation>
    </message>
    <message>
        <source>{name} ({memory}, driver {driver})</source>
        <translation>{name} ({memory}, controlador {driver})</translation>
    </message>
    <message>
        <source>Hardware</source>
        <translation>Hardware</translation>
    </message>
    <message>
        <source>Detecting hardware…</source>
        <translation>Detectando el hardware…</translation>
    </message>
    <message>
        <source>Copy command</source>
        <translation>Copiar comando</translation>
    </message>
    <message>
        <source>Current model: planning…</source>
        <translation>Modelo actual: planificando…</translation>
    </message>
    <message>
        <source>Current model: {plan}</source>
        <translation>Modelo actual: {plan}</translation>
    </message>
    <message>
        <source>To use your GPU: &lt;code&gt;{command}&lt;/code&gt;</source>
        <translation>Para usar tu GPU: &lt;code&gt;{command}&lt;/code&gt;</translation>
    </message>
    <message>
        <source>The engine already uses what this computer has.</source>
        <translation>El motor ya aprovecha lo que tiene este ordenador.</translation>
    </message>
</context>
<context>
    <name>HardwareService</name>
    <message>
        <source>hardware detection failed: {reason}</source>
        <translation>falló la detección del hardware: {reason}</translation>
    </message>
</context>
<context>
    <name>HubService</name>
    <message>
        <source>no connection to Hugging Face</source>
        <translation>no hay conexión con Hugging Face</translation>
    </message>
    <message>
        <source>license</source>
        <translation>licencia</translation>
    </message>
    <message>
        <source>open {repo} first</source>
        <translation>abre primero {repo}</translation>
    </message>
    <message>
        <source>{repo} has no file {file}</source>
        <translation>{repo} no tiene el archivo {file}</translation>
    </message>
    <message>
        <source>{file} is already installed as &apos;{name}&apos;</source>
        <translation>{file} ya está instalado como «{name}»</translation>
    </message>
    <message>
        <source>cannot use the models folder {folder}: {error}</source>
        <translation>no se puede usar la carpeta de modelos {folder}: {error}</translation>
    </message>
    <message>
        <source>not enough disk space in {folder}: {file} needs {size} plus {spare} to spare, {free} free</source>
        <translation>no hay espacio suficiente en {folder}: {file} necesita {size} más {spare} de margen, y hay {free} libres</translation>
    </message>
    <message>
        <source>{title}: {error}</source>
        <translation>{title}: {error}</translation>
    </message>
</context>
<context>
    <name>KvCacheDialog</name>
    <message>
        <source>Saved chat states</source>
        <translation>Estados de chat guardados</translation>
    </message>
    <message>
        <source>The model&apos;s memory of each chat is kept on disk, so a long chat answers at once after a restart or a switch. The least recently used go first when the folder is full.</source>
        <translation>La memoria del modelo de cada chat se guarda en el disco, así que un chat largo responde al momento tras reiniciar o cambiar de chat. Cuando la carpeta se llena, se borran primero los usados hace más tiempo.</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>Vaciar</translation>
    </message>
    <message>
        <source>Size now:</source>
        <translation>Tamaño actual:</translation>
    </message>
    <message>
        <source>Limit:</source>
        <translation>Límite:</translation>
    </message>
    <message>
        <source>Clear saved chat states?</source>
        <translation>¿Vaciar los estados de chat guardados?</translation>
    </message>
    <message>
        <source>Remove every saved chat state ({size})? No chat or message is lost: the next message in a long chat reads the whole conversation again first.</source>
        <translation>¿Quitar todos los estados de chat guardados ({size})? No se pierde ningún chat ni mensaje: el siguiente mensaje de un chat largo vuelve a leer antes toda la conversación.</translation>
    </message>
</context>
<context>
    <name>LibraryPage</name>
    <message>
        <source>App default</source>
        <translation>Valor de la aplicación</translation>
    </message>
    <message>
        <source>Automatic (planner)</source>
        <translation>Automático (planificador)</translation>
    </message>
    <message>
        <source>All layers</source>
        <translation>Todas las capas</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>Solo CPU</translation>
    </message>
    <message>
        <source>This many layers:</source>
        <translation>Este número de capas:</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <source>Repository</source>
        <translation>Repositorio</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>Cuant.</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Tamaño</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>Ubicación</translation>
    </message>
    <message>
        <source>Last used</source>
        <translation>Último uso</translation>
    </message>
    <message>
        <source>never</source>
        <translation>nunca</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Eliminar…</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>Mostrar en la carpeta</translation>
    </message>
    <message>
        <source>Defaults for this model</source>
        <translation>Valores predeterminados de este modelo</translation>
    </message>
    <message>
        <source>the chat&apos;s setting</source>
        <translation>el ajuste del chat</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Automática</translation>
    </message>
    <message>
        <source>plain completion (base models)</source>
        <translation>completado simple (modelos base)</translation>
    </message>
    <message>
        <source>automatic (free cores)</source>
        <translation>automático (núcleos libres)</translation>
    </message>
    <message>
        <source>default (512)</source>
        <translation>predeterminado (512)</translation>
    </message>
    <message>
        <source>on</source>
        <translation>activado</translation>
    </message>
    <message>
        <source>off</source>
        <translation>desactivado</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>automático</translation>
    </message>
    <message>
        <source>f16 (default)</source>
        <translation>f16 (predeterminado)</translation>
    </message>
    <message>
        <source>q8_0 (half the memory)</source>
        <translation>q8_0 (la mitad de memoria)</translation>
    </message>
    <message>
        <source>q4_0 (a quarter)</source>
        <translation>q4_0 (una cuarta parte)</translation>
    </message>
    <message>
        <source>off (default)</source>
        <translation>desactivada (predeterminado)</translation>
    </message>
    <message>
        <source>prompt lookup (drafts from the chat)</source>
        <translation>búsqueda en el prompt (borradores del chat)</translation>
    </message>
    <message>
        <source>a draft model</source>
        <translation>un modelo borrador</translation>
    </message>
    <message>
        <source>Guesses of the next tokens, checked by the model in one batch: the same reply, faster where the guesses are right. Turns flash attention off.</source>
        <translation>Suposiciones de los próximos tokens que el modelo comprueba en un solo lote: la misma respuesta, más rápida donde aciertan. Desactiva flash attention.</translation>
    </message>
    <message>
        <source>A small installed model with the same tokenizer (the same family), loaded beside this one</source>
        <translation>Un modelo pequeño instalado con el mismo tokenizador (la misma familia), cargado junto a este</translation>
    </message>
    <message>
        <source>default (on)</source>
        <translation>predeterminado (activado)</translation>
    </message>
    <message>
        <source>default (off)</source>
        <translation>predeterminado (desactivado)</translation>
    </message>
    <message>
        <source>Save defaults</source>
        <translation>Guardar valores</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>Longitud de contexto</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>Capas en GPU</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>Plantilla de chat</translation>
    </message>
    <message>
        <source>CPU threads</source>
        <translation>Hilos de CPU</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>Tamaño de lote</translation>
    </message>
    <message>
        <source>Flash attention</source>
        <translation>Flash attention</translation>
    </message>
    <message>
        <source>KV cache type</source>
        <translation>Tipo de caché KV</translation>
    </message>
    <message>
        <source>Speculative decoding</source>
        <translation>Decodificación especulativa</translation>
    </message>
    <message>
        <source>Draft model</source>
        <translation>Modelo borrador</translation>
    </message>
    <message>
        <source>Memory-map the file</source>
        <translation>Mapear el archivo en memoria</translation>
    </message>
    <message>
        <source>Lock in RAM (mlock)</source>
        <translation>Bloquear en RAM (mlock)</translation>
    </message>
    <message>
        <source>{path} (downloaded)</source>
        <translation>{path} (descargado)</translation>
    </message>
    <message>
        <source>{path} (imported in place)</source>
        <translation>{path} (importado en su sitio)</translation>
    </message>
    <message>
        <source>choose a model</source>
        <translation>elige un modelo</translation>
    </message>
    <message>
        <source>Saved: used from the model&apos;s next load.</source>
        <translation>Guardado: se usa desde la próxima carga del modelo.</translation>
    </message>
    <message>
        <source>Delete &apos;{name}&apos;? Its file will be deleted:
{path}</source>
        <translation>¿Eliminar «{name}»? Se eliminará su archivo:
{path}</translation>
    </message>
    <message>
        <source>Remove &apos;{name}&apos; from the library? The file stays where it is (it was imported in place):
{path}</source>
        <translation>¿Quitar «{name}» de la biblioteca? El archivo se queda donde está (se importó en su sitio):
{path}</translation>
    </message>
    <message>
        <source>Delete model</source>
        <translation>Eliminar modelo</translation>
    </message>
    <message>
        <source>Models other apps keep (LM Studio, GPT4All, Jan, Ollama, HF cache)</source>
        <translation>Modelos de otras aplicaciones (LM Studio, GPT4All, Jan, Ollama, caché de HF)</translation>
    </message>
    <message>
        <source>Find models on this computer</source>
        <translation>Buscar modelos en este ordenador</translation>
    </message>
    <message>
        <source>Register selected</source>
        <translation>Registrar los marcados</translation>
    </message>
    <message>
        <source>Use them where they are: nothing is copied or deleted</source>
        <translation>Úsalos donde están: no se copia ni se elimina nada</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <source>App</source>
        <translation>Aplicación</translation>
    </message>
    <message>
        <source>Path</source>
        <translation>Ruta</translation>
    </message>
    <message>
        <source>{name}  (in the library)</source>
        <translation>{name}  (en la biblioteca)</translation>
    </message>
    <message>
        <source>also at:
{paths}</source>
        <translation>también en:
{paths}</translation>
    </message>
    <message>
        <source>No GGUF models found in other apps&apos; folders.</source>
        <translation>No se encontraron modelos GGUF en las carpetas de otras aplicaciones.</translation>
    </message>
    <message numerus="yes">
        <source>Found %n model(s), {new} not in the library yet. Register them to use them here without downloading again.</source>
        <translation>
            <numerusform>Encontrado %n modelo; {new} aún fuera de la biblioteca. Regístralos para usarlos aquí sin volver a descargarlos.</numerusform>
            <numerusform>Encontrados %n modelos; {new} aún fuera de la biblioteca. Regístralos para usarlos aquí sin volver a descargarlos.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Found %n model(s), {new} not in the library yet.</source>
        <translation>
            <numerusform>Encontrado %n modelo; {new} aún fuera de la biblioteca.</numerusform>
            <numerusform>Encontrados %n modelos; {new} aún fuera de la biblioteca.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Registered %n model(s) in place.</source>
        <translation>
            <numerusform>Registrado %n modelo en su sitio.</numerusform>
            <numerusform>Registrados %n modelos en su sitio.</numerusform>
        </translation>
    </message>
    <message>
        <source>Looking in other apps&apos; folders…</source>
        <translation>Buscando en las carpetas de otras aplicaciones…</translation>
    </message>
</context>
<context>
    <name>LibraryService</name>
    <message>
        <source>{path}: {error}</source>
        <translation>{path}: {error}</translation>
    </message>
    <message>
        <source>plain completion (no chat template)</source>
        <translation>completado simple (sin plantilla de chat)</translation>
    </message>
    <message>
        <source>model&apos;s own template</source>
        <translation>plantilla propia del modelo</translation>
    </message>
    <message>
        <source>plain completion</source>
        <translation>completado simple</translation>
    </message>
    <message>
        <source>{template} (chosen in the model&apos;s settings)</source>
        <translation>{template} (elegida en los ajustes del modelo)</translation>
    </message>
    <message>
        <source>guessed from the name {value}</source>
        <translation>deducida del nombre {value}</translation>
    </message>
    <message>
        <source>guessed from the file name {value}</source>
        <translation>deducida del nombre de archivo {value}</translation>
    </message>
    <message>
        <source>guessed from the architecture {value}</source>
        <translation>deducida de la arquitectura {value}</translation>
    </message>
    <message>
        <source>{template} ({why})</source>
        <translation>{template} ({why})</translation>
    </message>
</context>
<context>
    <name>LongChatDialog</name>
    <message>
        <source>This chat no longer fits the context</source>
        <translation>Este chat ya no cabe en el contexto</translation>
    </message>
    <message>
        <source>With your message this chat is about {tokens} tokens, and the model&apos;s context holds {n_ctx} (with {reserve} kept for the reply). Nothing has been sent yet.</source>
        <translation>Con tu mensaje, este chat ocupa unos {tokens} tokens y el contexto del modelo admite {n_ctx} (con {reserve} reservados para la respuesta). Todavía no se ha enviado nada.</translation>
    </message>
    <message>
        <source>Start a new chat from a summary the model writes of this one, or leave out the oldest turns of this chat (the system prompt is always kept; the turns stay in the chat, they are just not sent).</source>
        <translation>Empieza un chat nuevo a partir de un resumen de este escrito por el modelo, o deja fuera los turnos más antiguos de este chat (el prompt de sistema siempre se conserva; los turnos siguen en el chat, solo que no se envían).</translation>
    </message>
    <message>
        <source>New chat with a summary</source>
        <translation>Chat nuevo con un resumen</translation>
    </message>
    <message>
        <source>Leave out the oldest turns</source>
        <translation>Omitir los turnos más antiguos</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>loading %p%</source>
        <translation>cargando %p %</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Enviar</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>Regenerar</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>Modelo:</translation>
    </message>
    <message>
        <source>This is a base model: it continues your text rather than answering it. Choose an instruct model to chat.</source>
        <translation>Este es un modelo base: continúa tu texto en lugar de responderlo. Elige un modelo instruct para chatear.</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>Chat</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>Comparar</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>Biblioteca</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>Listo</translation>
    </message>
    <message>
        <source>backup failed: {message}</source>
        <translation>la copia de seguridad falló: {message}</translation>
    </message>
    <message>
        <source>choose a model to benchmark first</source>
        <translation>elige primero un modelo para la prueba de rendimiento</translation>
    </message>
    <message>
        <source>Local server</source>
        <translation>Servidor local</translation>
    </message>
    <message>
        <source>The OpenAI-compatible API for other programs.</source>
        <translation>La API compatible con OpenAI para otros programas.</translation>
    </message>
    <message>
        <source>Remote servers</source>
        <translation>Servidores remotos</translation>
    </message>
    <message>
        <source>Other machines&apos; model servers.</source>
        <translation>Los servidores de modelos de otras máquinas.</translation>
    </message>
    <message>
        <source>Cluster</source>
        <translation>Clúster</translation>
    </message>
    <message>
        <source>Other PCs (rpc-workers) to split a model over.</source>
        <translation>Otros PC (workers RPC) entre los que repartir un modelo.</translation>
    </message>
    <message>
        <source>Saved chat states</source>
        <translation>Estados de chat guardados</translation>
    </message>
    <message>
        <source>Kept chat memory: size, limit, Clear.</source>
        <translation>La memoria de chat guardada: tamaño, límite, Vaciar.</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation>Copias de seguridad</translation>
    </message>
    <message>
        <source>The daily database backups.</source>
        <translation>Las copias de seguridad diarias de la base de datos.</translation>
    </message>
    <message>
        <source>Writing…</source>
        <translation>Escribiendo…</translation>
    </message>
    <message>
        <source>Continue.</source>
        <translation>Continúa.</translation>
    </message>
    <message>
        <source>Reading your message…</source>
        <translation>Leyendo tu mensaje…</translation>
    </message>
    <message>
        <source>Reading your message… {done} / {total} tokens</source>
        <translation>Leyendo tu mensaje… {done} / {total} tokens</translation>
    </message>
    <message>
        <source>Writing… {rate}</source>
        <translation>Escribiendo… {rate}</translation>
    </message>
    <message>
        <source>The model stopped unexpectedly: {error}. The partial reply was saved; your next message starts the model again.</source>
        <translation>El modelo se detuvo de forma inesperada: {error}. La respuesta parcial se guardó; tu próximo mensaje vuelve a iniciar el modelo.</translation>
    </message>
    <message>
        <source>Loading model… {percent}%</source>
        <translation>Cargando modelo… {percent} %</translation>
    </message>
    <message>
        <source>New chats start from these settings</source>
        <translation>Los chats nuevos empiezan con estos ajustes</translation>
    </message>
    <message>
        <source>Threads for this model: {threads} (from its next load)</source>
        <translation>Hilos para este modelo: {threads} (desde la próxima carga)</translation>
    </message>
    <message>
        <source>Threads for this model: auto (from its next load)</source>
        <translation>Hilos para este modelo: auto (desde la próxima carga)</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Error</translation>
    </message>
    <message>
        <source>Import model</source>
        <translation>Importar modelo</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>Modelos GGUF (*.gguf);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Imported {name} (left in place: {path}); your next new chat uses it (or choose it above for this chat)</source>
        <translation>Importado {name} (se queda donde está: {path}); tu próximo chat nuevo lo usará (o elígelo arriba para este chat)</translation>
    </message>
    <message>
        <source>Imported {name} (left in place: {path})</source>
        <translation>Importado {name} (se queda donde está: {path})</translation>
    </message>
    <message>
        <source>Downloads are running</source>
        <translation>Hay descargas en curso</translation>
    </message>
    <message numerus="yes">
        <source>%n download(s) are not finished. Quit anyway?

They stop now and continue from where they stopped when you download the same files again.</source>
        <translation>
            <numerusform>%n descarga no ha terminado. ¿Salir de todos modos?

Se detiene ahora y continuará desde donde se quedó cuando vuelvas a descargar los mismos archivos.</numerusform>
            <numerusform>%n descargas no han terminado. ¿Salir de todos modos?

Se detienen ahora y continuarán desde donde se quedaron cuando vuelvas a descargar los mismos archivos.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Markdown</name>
    <message>
        <source>Copy</source>
        <translation>Copiar</translation>
    </message>
    <message>
        <source>image</source>
        <translation>imagen</translation>
    </message>
</context>
<context>
    <name>MessageBubble</name>
    <message>
        <source>stopped</source>
        <translation>detenida</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>interrumpida</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>fallida</translation>
    </message>
    <message>
        <source>writing…</source>
        <translation>escribiendo…</translation>
    </message>
    <message>
        <source>context full ({count} tokens)</source>
        <translation>contexto lleno ({count} tokens)</translation>
    </message>
    <message>
        <source>cut off: max tokens reached</source>
        <translation>cortada: se alcanzó el máximo de tokens</translation>
    </message>
    <message numerus="yes">
        <source>%Ln token(s)</source>
        <translation>
            <numerusform>%Ln token</numerusform>
            <numerusform>%Ln tokens</numerusform>
        </translation>
    </message>
    <message>
        <source>first token {seconds}</source>
        <translation>primer token {seconds}</translation>
    </message>
    <message>
        <source>{count} kept</source>
        <translation>{count} reutilizados</translation>
    </message>
    <message>
        <source>{accepted} of {drafted} drafted kept</source>
        <translation>{accepted} de {drafted} borradores aceptados</translation>
    </message>
    <message>
        <source>kept: prompt tokens the model did not read again, served from this chat&apos;s saved state (cached_tokens in the API and chat --json)</source>
        <translation>reutilizados: tokens del prompt que el modelo no volvió a leer, servidos desde el estado guardado de este chat (cached_tokens en la API y en chat --json)</translation>
    </message>
    <message>
        <source>drafted: tokens guessed ahead by speculative decoding; those kept cost no step of their own</source>
        <translation>borradores: tokens adivinados por adelantado por la decodificación especulativa; los aceptados no cuestan un paso propio</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>Listo</translation>
    </message>
    <message>
        <source>context {used} / {total} tokens</source>
        <translation>contexto {used} / {total} tokens</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Tú</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>Asistente</translation>
    </message>
    <message>
        <source>Edit, copy, continue from here, delete</source>
        <translation>Editar, copiar, continuar desde aquí, eliminar</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Editar</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copiar</translation>
    </message>
    <message>
        <source>Continue from here</source>
        <translation>Continuar desde aquí</translation>
    </message>
    <message>
        <source>Delete this branch…</source>
        <translation>Eliminar esta rama…</translation>
    </message>
    <message>
        <source>copied to the clipboard</source>
        <translation>copiado al portapapeles</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Enviar</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>Continuar</translation>
    </message>
    <message>
        <source>Ask the model to go on from where it was cut off</source>
        <translation>Pide al modelo que siga desde donde se cortó</translation>
    </message>
    <message>
        <source>code copied to the clipboard</source>
        <translation>código copiado al portapapeles</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <source>The model that writes the replies</source>
        <translation>El modelo que escribe las respuestas</translation>
    </message>
    <message>
        <source>{model} — file missing</source>
        <translation>{model} — falta el archivo</translation>
    </message>
    <message>
        <source>remote</source>
        <translation>remoto</translation>
    </message>
    <message>
        <source>{model}: on the remote server {server}</source>
        <translation>{model}: en el servidor remoto {server}</translation>
    </message>
    <message>
        <source>No models: File &gt; Import model…</source>
        <translation>Sin modelos: Archivo &gt; Importar modelo…</translation>
    </message>
    <message>
        <source>the server&apos;s own template</source>
        <translation>la plantilla del propio servidor</translation>
    </message>
</context>
<context>
    <name>ModelsWindow</name>
    <message>
        <source>No connection to Hugging Face. Installed models keep working; searching and downloading need the internet.</source>
        <translation>Sin conexión con Hugging Face. Los modelos instalados siguen funcionando; para buscar y descargar hace falta internet.</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Modelos</translation>
    </message>
    <message>
        <source>Add a token…</source>
        <translation>Añadir un token…</translation>
    </message>
    <message>
        <source>Discover</source>
        <translation>Descubrir</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>Descargas</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>Biblioteca</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Ajustes</translation>
    </message>
    <message>
        <source>hf_… (from huggingface.co/settings/tokens)</source>
        <translation>hf_… (de huggingface.co/settings/tokens)</translation>
    </message>
    <message>
        <source>Save token</source>
        <translation>Guardar token</translation>
    </message>
    <message>
        <source>A token is saved.</source>
        <translation>Hay un token guardado.</translation>
    </message>
    <message>
        <source>No token saved.</source>
        <translation>No hay ningún token guardado.</translation>
    </message>
    <message>
        <source>Gated models (Llama, Gemma and others) need you to accept their license on the model&apos;s Hugging Face page, and a read token here. The token is stored only on this computer (readable by you alone) and sent only to Hugging Face.</source>
        <translation>Los modelos restringidos (Llama, Gemma y otros) requieren que aceptes su licencia en la página del modelo en Hugging Face, y un token de lectura aquí. El token se guarda solo en este ordenador (solo tú puedes leerlo) y solo se envía a Hugging Face.</translation>
    </message>
    <message>
        <source>Hugging Face token</source>
        <translation>Token de Hugging Face</translation>
    </message>
    <message>
        <source>Token saved.</source>
        <translation>Token guardado.</translation>
    </message>
    <message>
        <source>Token removed.</source>
        <translation>Token eliminado.</translation>
    </message>
</context>
<context>
    <name>Pane</name>
    <message>
        <source>loading…</source>
        <translation>cargando…</translation>
    </message>
    <message>
        <source>writing…</source>
        <translation>escribiendo…</translation>
    </message>
    <message>
        <source>done</source>
        <translation>hecho</translation>
    </message>
    <message>
        <source>stop</source>
        <translation>terminada</translation>
    </message>
    <message>
        <source>length</source>
        <translation>límite de tokens</translation>
    </message>
    <message>
        <source>Pane {letter}</source>
        <translation>Panel {letter}</translation>
    </message>
    <message>
        <source>temp</source>
        <translation>temp.</translation>
    </message>
    <message>
        <source>max</source>
        <translation>máx.</translation>
    </message>
    <message>
        <source>seed</source>
        <translation>semilla</translation>
    </message>
    <message>
        <source>system prompt (optional)</source>
        <translation>prompt de sistema (opcional)</translation>
    </message>
    <message>
        <source>TTFT {seconds}</source>
        <translation>1.er token {seconds}</translation>
    </message>
    <message numerus="yes">
        <source>%Ln token(s)</source>
        <translation>
            <numerusform>%Ln token</numerusform>
            <numerusform>%Ln tokens</numerusform>
        </translation>
    </message>
    <message>
        <source>load {seconds}</source>
        <translation>carga {seconds}</translation>
    </message>
</context>
<context>
    <name>PresetActions</name>
    <message>
        <source>Precise</source>
        <translation>Preciso</translation>
    </message>
    <message>
        <source>Balanced</source>
        <translation>Equilibrado</translation>
    </message>
    <message>
        <source>Creative</source>
        <translation>Creativo</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Código</translation>
    </message>
    <message>
        <source>Translate to Spanish</source>
        <translation>Traducir al español</translation>
    </message>
    <message>
        <source>presets are not available here</source>
        <translation>los preajustes no están disponibles aquí</translation>
    </message>
</context>
<context>
    <name>PresetDialog</name>
    <message>
        <source>e.g. Short answers</source>
        <translation>p. ej. Respuestas cortas</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>Prompt de sistema</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>Temperatura</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>Penalización por repetición</translation>
    </message>
    <message>
        <source>Max tokens</source>
        <translation>Máx. de tokens</translation>
    </message>
    <message>
        <source>A built-in preset can&apos;t be changed; use Save as… for your own copy.</source>
        <translation>Un preajuste incluido no se puede cambiar; usa Guardar como… para tener tu propia copia.</translation>
    </message>
</context>
<context>
    <name>RemoteDialog</name>
    <message>
        <source>Name</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Clave</translation>
    </message>
    <message>
        <source>Last test</source>
        <translation>Última prueba</translation>
    </message>
    <message>
        <source>Remote servers</source>
        <translation>Servidores remotos</translation>
    </message>
    <message>
        <source>Chat with models on another computer: any OpenAI-compatible server (vLLM, llama-server, Ollama, LM Studio, or &lt;code&gt;desktop-llm serve&lt;/code&gt; on another PC). Its models then appear in the model picker and the compare panes, marked &lt;i&gt;remote&lt;/i&gt;. Keys are kept in the config folder, readable only by you. Nothing connects anywhere unless a server is added here.</source>
        <translation>Chatea con modelos de otro ordenador: cualquier servidor compatible con OpenAI (vLLM, llama-server, Ollama, LM Studio o &lt;code&gt;desktop-llm serve&lt;/code&gt; en otro PC). Sus modelos aparecen entonces en el selector de modelos y en los paneles de comparación, marcados como &lt;i&gt;remotos&lt;/i&gt;. Las claves se guardan en la carpeta de configuración, legibles solo por ti. No se conecta a ningún sitio salvo que añadas aquí un servidor.</translation>
    </message>
    <message>
        <source>a short name, e.g. gpu-box</source>
        <translation>un nombre corto, p. ej. gpu-box</translation>
    </message>
    <message>
        <source>API key (leave empty if the server needs none)</source>
        <translation>Clave de API (déjala vacía si el servidor no la necesita)</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>Clave de API</translation>
    </message>
    <message>
        <source>How long a reply may take to start before it is given up</source>
        <translation>Cuánto puede tardar una respuesta en empezar antes de darla por perdida</translation>
    </message>
    <message>
        <source>First-token timeout</source>
        <translation>Espera del primer token</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Añadir</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>Probar conexión</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Quitar</translation>
    </message>
    <message>
        <source>set</source>
        <translation>guardada</translation>
    </message>
    <message>
        <source>none</source>
        <translation>ninguna</translation>
    </message>
    <message>
        <source>No remote servers yet.</source>
        <translation>Aún no hay servidores remotos.</translation>
    </message>
    <message>
        <source>{name} added; testing the connection…</source>
        <translation>{name} añadido; probando la conexión…</translation>
    </message>
    <message>
        <source>Choose a server in the list to test.</source>
        <translation>Elige en la lista el servidor que quieres probar.</translation>
    </message>
    <message>
        <source>Testing {name}…</source>
        <translation>Probando {name}…</translation>
    </message>
    <message>
        <source>{name}: {result}</source>
        <translation>{name}: {result}</translation>
    </message>
    <message>
        <source>Choose a server in the list to remove.</source>
        <translation>Elige en la lista el servidor que quieres quitar.</translation>
    </message>
    <message>
        <source>{name} removed, with its key.</source>
        <translation>{name} quitado, junto con su clave.</translation>
    </message>
</context>
<context>
    <name>RemoteService</name>
    <message numerus="yes">
        <source>%n models: {models}</source>
        <translation>
            <numerusform>%n modelo: {models}</numerusform>
            <numerusform>%n modelos: {models}</numerusform>
        </translation>
    </message>
    <message>
        <source>answers, no models</source>
        <translation>responde, sin modelos</translation>
    </message>
</context>
<context>
    <name>RepoPage</name>
    <message>
        <source>partly on the GPU ({layers} of {total} layers)</source>
        <translation>en parte en la GPU ({layers} de {total} capas)</translation>
    </message>
    <message>
        <source>fits on the GPU</source>
        <translation>cabe en la GPU</translation>
    </message>
    <message>
        <source>partly on the GPU</source>
        <translation>en parte en la GPU</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>solo CPU</translation>
    </message>
    <message>
        <source>will not fit</source>
        <translation>no cabe</translation>
    </message>
    <message>
        <source>{fit}, context cut to {ctx}</source>
        <translation>{fit}, contexto recortado a {ctx}</translation>
    </message>
    <message>
        <source>Choose a model from the catalogue or the search results.</source>
        <translation>Elige un modelo del catálogo o de los resultados de búsqueda.</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>Longitud de contexto</translation>
    </message>
    <message>
        <source>The fit check plans for this many tokens of context</source>
        <translation>La comprobación de si cabe se planifica para estos tokens de contexto</translation>
    </message>
    <message>
        <source>Check again</source>
        <translation>Volver a comprobar</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Archivo</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>Cuant.</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Tamaño</translation>
    </message>
    <message>
        <source>Fit on this computer</source>
        <translation>¿Cabe en este ordenador?</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>Descargar</translation>
    </message>
    <message>
        <source>&lt;b&gt;{repo}&lt;/b&gt;: could not read this repository</source>
        <translation>&lt;b&gt;{repo}&lt;/b&gt;: no se pudo leer este repositorio</translation>
    </message>
    <message>
        <source>&lt;b&gt;{repo}&lt;/b&gt;: reading the files and checking the fit…</source>
        <translation>&lt;b&gt;{repo}&lt;/b&gt;: leyendo los archivos y comprobando si cabe…</translation>
    </message>
    <message numerus="yes">
        <source>&lt;b&gt;{link}&lt;/b&gt; (gated: needs an accepted license and a token), %n model file(s)</source>
        <translation>
            <numerusform>&lt;b&gt;{link}&lt;/b&gt; (restringido: requiere aceptar la licencia y un token), %n archivo de modelo</numerusform>
            <numerusform>&lt;b&gt;{link}&lt;/b&gt; (restringido: requiere aceptar la licencia y un token), %n archivos de modelo</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>&lt;b&gt;{link}&lt;/b&gt;, %n model file(s)</source>
        <translation>
            <numerusform>&lt;b&gt;{link}&lt;/b&gt;, %n archivo de modelo</numerusform>
            <numerusform>&lt;b&gt;{link}&lt;/b&gt;, %n archivos de modelo</numerusform>
        </translation>
    </message>
    <message>
        <source>{name} ({parts} parts)</source>
        <translation>{name} ({parts} partes)</translation>
    </message>
    <message>
        <source>★ recommended</source>
        <translation>★ recomendado</translation>
    </message>
    <message>
        <source>installed</source>
        <translation>instalado</translation>
    </message>
    <message>
        <source>Vision projector (companion file, not a model): {name}, {size}</source>
        <translation>Proyector de visión (archivo complementario, no es un modelo): {name}, {size}</translation>
    </message>
    <message>
        <source>Vision projector (companion file, not a model): {name}</source>
        <translation>Proyector de visión (archivo complementario, no es un modelo): {name}</translation>
    </message>
    <message>
        <source>Incomplete split model (not offered): {name}</source>
        <translation>Modelo dividido incompleto (no se ofrece): {name}</translation>
    </message>
    <message>
        <source>Installed</source>
        <translation>Instalado</translation>
    </message>
</context>
<context>
    <name>ServerBadge</name>
    <message>
        <source>The local API server is running (Settings &gt; Local server)</source>
        <translation>El servidor de API local está en marcha (Ajustes &gt; Servidor local)</translation>
    </message>
    <message>
        <source>API: {url}</source>
        <translation>API: {url}</translation>
    </message>
</context>
<context>
    <name>ServerDialog</name>
    <message>
        <source>Time</source>
        <translation>Hora</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>Petición</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>Tokens</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>Carga</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Estado</translation>
    </message>
    <message>
        <source>499 client left</source>
        <translation>499 el cliente se fue</translation>
    </message>
    <message>
        <source>{status} ok</source>
        <translation>{status} correcto</translation>
    </message>
    <message>
        <source>Local server</source>
        <translation>Servidor local</translation>
    </message>
    <message>
        <source>Your models over an OpenAI-compatible API, for editors, scripts and other apps on this computer (127.0.0.1 only). Clients send the key below.</source>
        <translation>Tus modelos a través de una API compatible con OpenAI, para editores, scripts y otras aplicaciones de este ordenador (solo 127.0.0.1). Los clientes envían la clave de abajo.</translation>
    </message>
    <message>
        <source>Run the local server</source>
        <translation>Ejecutar el servidor local</translation>
    </message>
    <message>
        <source>Start the server when the app opens</source>
        <translation>Iniciar el servidor al abrir la aplicación</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>Puerto:</translation>
    </message>
    <message>
        <source>Saved in {path}</source>
        <translation>Guardada en {path}</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Mostrar</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copiar</translation>
    </message>
    <message>
        <source>Regenerate…</source>
        <translation>Regenerar…</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>Clave de API:</translation>
    </message>
    <message>
        <source>Models it offers</source>
        <translation>Modelos que ofrece</translation>
    </message>
    <message>
        <source>None checked: every model in your library.</source>
        <translation>Ninguno marcado: todos los modelos de tu biblioteca.</translation>
    </message>
    <message>
        <source>Recent requests</source>
        <translation>Peticiones recientes</translation>
    </message>
    <message>
        <source>Your library has no models yet.</source>
        <translation>Tu biblioteca aún no tiene modelos.</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>Ocultar</translation>
    </message>
    <message>
        <source>Regenerate the key?</source>
        <translation>¿Regenerar la clave?</translation>
    </message>
    <message>
        <source>Programs that use the current key will be refused until you give them the new one. A running server restarts, stopping replies in progress.</source>
        <translation>Los programas que usen la clave actual serán rechazados hasta que les des la nueva. Un servidor en marcha se reinicia y detiene las respuestas en curso.</translation>
    </message>
    <message>
        <source>Running at &lt;b&gt;{url}&lt;/b&gt;</source>
        <translation>En marcha en &lt;b&gt;{url}&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Iniciando…</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>Deteniendo…</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>Detenido</translation>
    </message>
</context>
<context>
    <name>ServerService</name>
    <message>
        <source>the port must be between 1 and 65535</source>
        <translation>el puerto debe estar entre 1 y 65535</translation>
    </message>
    <message>
        <source>the API server did not start on {host}:{port} (see the log)</source>
        <translation>el servidor de API no arrancó en {host}:{port} (mira el registro)</translation>
    </message>
</context>
<context>
    <name>SettingsPanel</name>
    <message>
        <source>&lt;b&gt;Preset&lt;/b&gt;</source>
        <translation>&lt;b&gt;Preajuste&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Save as…</source>
        <translation>Guardar como…</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Editar…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Eliminar…</translation>
    </message>
    <message>
        <source>Use for new chats</source>
        <translation>Usar en chats nuevos</translation>
    </message>
    <message>
        <source>New chats start from these sampling settings</source>
        <translation>Los chats nuevos parten de estos ajustes de muestreo</translation>
    </message>
    <message>
        <source>&lt;b&gt;System prompt&lt;/b&gt;</source>
        <translation>&lt;b&gt;Prompt de sistema&lt;/b&gt;</translation>
    </message>
    <message>
        <source>e.g. You are a helpful assistant.</source>
        <translation>p. ej. Eres un asistente útil.</translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation>Muestreo</translation>
    </message>
    <message>
        <source>random</source>
        <translation>aleatoria</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>Temperatura</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>Penalización por repetición</translation>
    </message>
    <message>
        <source>Max tokens</source>
        <translation>Máx. de tokens</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>Semilla</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>Longitud de contexto</translation>
    </message>
    <message>
        <source>This model</source>
        <translation>Este modelo</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>Hilos</translation>
    </message>
    <message>
        <source>auto (free cores)</source>
        <translation>auto (núcleos libres)</translation>
    </message>
    <message>
        <source>CPU threads for this model from its next load; auto uses the physical cores that aren&apos;t busy with other programs when it loads</source>
        <translation>Hilos de CPU para este modelo a partir de su próxima carga; auto usa los núcleos físicos que no estén ocupados con otros programas cuando se carga</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>Plantilla de chat</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Automática</translation>
    </message>
    <message>
        <source>Model&apos;s own (GGUF)</source>
        <translation>La del modelo (GGUF)</translation>
    </message>
    <message>
        <source>plain completion (base models)</source>
        <translation>completado simple (modelos base)</translation>
    </message>
    <message>
        <source>From the preset “{name}”.</source>
        <translation>Del preajuste «{name}».</translation>
    </message>
    <message>
        <source>The defaults for new chats.</source>
        <translation>Los valores por defecto de los chats nuevos.</translation>
    </message>
    <message>
        <source>Changed in this chat; new chats start from the defaults.</source>
        <translation>Cambiados en este chat; los chats nuevos parten de los valores por defecto.</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>Personalizado</translation>
    </message>
    <message>
        <source>{name} (yours)</source>
        <translation>{name} (tuyo)</translation>
    </message>
    <message>
        <source>In use: {template}</source>
        <translation>En uso: {template}</translation>
    </message>
</context>
<context>
    <name>SettingsWindow</name>
    <message>
        <source>Like the system</source>
        <translation>Como el sistema</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Claro</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Oscuro</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Ajustes</translation>
    </message>
    <message>
        <source>General</source>
        <translation>General</translation>
    </message>
    <message>
        <source>Performance</source>
        <translation>Rendimiento</translation>
    </message>
    <message>
        <source>Hardware</source>
        <translation>Hardware</translation>
    </message>
    <message>
        <source>Open {page}…</source>
        <translation>Abrir {page}…</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>Tema</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Idioma</translation>
    </message>
    <message>
        <source>Model for new chats</source>
        <translation>Modelo para chats nuevos</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>Abrir carpeta</translation>
    </message>
    <message>
        <source>Downloaded models</source>
        <translation>Modelos descargados</translation>
    </message>
    <message>
        <source>Models you import stay where they are; Models &gt; Library lists them all.</source>
        <translation>Los modelos que importas se quedan donde están; Modelos &gt; Biblioteca los muestra todos.</translation>
    </message>
    <message>
        <source>The new language applies the next time you start desktop_llm.</source>
        <translation>El nuevo idioma se aplica la próxima vez que inicies desktop_llm.</translation>
    </message>
    <message>
        <source>auto (the cores not busy)</source>
        <translation>auto (los núcleos libres)</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>Hilos</translation>
    </message>
    <message>
        <source>auto (the planner decides)</source>
        <translation>auto (decide el planificador)</translation>
    </message>
    <message>
        <source>all</source>
        <translation>todas</translation>
    </message>
    <message>
        <source>none (CPU only)</source>
        <translation>ninguna (solo CPU)</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>Capas en GPU</translation>
    </message>
    <message>
        <source>Context length of new chats</source>
        <translation>Longitud de contexto de los chats nuevos</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>Aplicar</translation>
    </message>
    <message>
        <source>For the chosen model</source>
        <translation>Para el modelo elegido</translation>
    </message>
    <message>
        <source>Per model, the right-hand panel of the chat and Models &gt; Library can set other values; they win over these.</source>
        <translation>Para cada modelo, el panel derecho del chat y Modelos &gt; Biblioteca pueden fijar otros valores; esos mandan sobre estos.</translation>
    </message>
    <message>
        <source>planning…</source>
        <translation>planificando…</translation>
    </message>
</context>
<context>
    <name>ThinkingBlock</name>
    <message>
        <source>Thinking…</source>
        <translation>Pensando…</translation>
    </message>
    <message numerus="yes">
        <source>%Ln character(s)</source>
        <translation>
            <numerusform>%Ln carácter</numerusform>
            <numerusform>%Ln caracteres</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Time</name>
    <message>
        <source>just now</source>
        <translation>ahora mismo</translation>
    </message>
    <message numerus="yes">
        <source>%n minute(s) ago</source>
        <translation>
            <numerusform>hace %n minuto</numerusform>
            <numerusform>hace %n minutos</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n hour(s) ago</source>
        <translation>
            <numerusform>hace %n hora</numerusform>
            <numerusform>hace %n horas</numerusform>
        </translation>
    </message>
    <message>
        <source>yesterday</source>
        <translation>ayer</translation>
    </message>
    <message numerus="yes">
        <source>%n day(s) ago</source>
        <translation>
            <numerusform>hace %n día</numerusform>
            <numerusform>hace %n días</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Units</name>
    <message>
        <source>{rate} tok/s</source>
        <translation>{rate} tok/s</translation>
    </message>
    <message>
        <source>{seconds} s</source>
        <translation>{seconds} s</translation>
    </message>
</context>
<context>
    <name>WindowMenus</name>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Archivo</translation>
    </message>
    <message>
        <source>&amp;New chat</source>
        <translation>Chat &amp;nuevo</translation>
    </message>
    <message>
        <source>&amp;Import model…</source>
        <translation>&amp;Importar modelo…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Salir</translation>
    </message>
    <message>
        <source>&amp;Chat</source>
        <translation>&amp;Chat</translation>
    </message>
    <message>
        <source>&amp;Stop the reply</source>
        <translation>&amp;Detener la respuesta</translation>
    </message>
    <message>
        <source>&amp;Regenerate</source>
        <translation>&amp;Regenerar</translation>
    </message>
    <message>
        <source>Type a &amp;message</source>
        <translation>Escribir un &amp;mensaje</translation>
    </message>
    <message>
        <source>Searc&amp;h all chats</source>
        <translation>&amp;Buscar en todos los chats</translation>
    </message>
    <message>
        <source>&amp;Export chat…</source>
        <translation>&amp;Exportar chat…</translation>
    </message>
    <message>
        <source>Export &amp;all chats…</source>
        <translation>Exportar &amp;todos los chats…</translation>
    </message>
    <message>
        <source>&amp;Import chats…</source>
        <translation>&amp;Importar chats…</translation>
    </message>
    <message>
        <source>&amp;Models</source>
        <translation>&amp;Modelos</translation>
    </message>
    <message>
        <source>&amp;Find models…</source>
        <translation>&amp;Buscar modelos…</translation>
    </message>
    <message>
        <source>&amp;Library</source>
        <translation>Bib&amp;lioteca</translation>
    </message>
    <message>
        <source>&amp;Benchmark this model…</source>
        <translation>&amp;Prueba de rendimiento de este modelo…</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>A&amp;justes</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Ajustes…</translation>
    </message>
    <message>
        <source>&amp;Hardware…</source>
        <translation>&amp;Hardware…</translation>
    </message>
    <message>
        <source>&amp;Backups…</source>
        <translation>Copias de &amp;seguridad…</translation>
    </message>
    <message>
        <source>&amp;Local server…</source>
        <translation>Servidor &amp;local…</translation>
    </message>
    <message>
        <source>&amp;Cluster…</source>
        <translation>&amp;Clúster…</translation>
    </message>
    <message>
        <source>&amp;Remote servers…</source>
        <translation>Servidores &amp;remotos…</translation>
    </message>
    <message>
        <source>&amp;Saved chat states…</source>
        <translation>&amp;Estados de chat guardados…</translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation>&amp;Tema</translation>
    </message>
    <message>
        <source>&amp;Like the system</source>
        <translation>&amp;Como el sistema</translation>
    </message>
    <message>
        <source>&amp;Light</source>
        <translation>C&amp;laro</translation>
    </message>
    <message>
        <source>&amp;Dark</source>
        <translation>&amp;Oscuro</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>A&amp;yuda</translation>
    </message>
    <message>
        <source>&amp;Getting started</source>
        <translation>&amp;Primeros pasos</translation>
    </message>
    <message>
        <source>&amp;About {app}</source>
        <translation>&amp;Acerca de {app}</translation>
    </message>
</context>
</TS>
