<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es">
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
    <name>MainWindow</name>
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
</TS>
